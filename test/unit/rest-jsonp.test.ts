import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { callbackParam, isValidCallback, jsonpWrap } from "../../src/rest/jsonp.js";

describe("REST JSONP callbacks", () => {
  it("accepts identifier paths of at most 128 characters", () => {
    for (const ok of ["cb", "$", "_", "jQuery1102_1385", "a.b.c", "$.x_1", "A".repeat(128)]) {
      assert.ok(isValidCallback(ok), ok);
    }
  });

  it("rejects everything else", () => {
    for (const bad of [
      "",
      "1a",
      "a-b",
      "a.",
      ".a",
      "a..b",
      "a b",
      "a(",
      "a;",
      "<x>",
      "a\n",
      "a\u2028",
      "é",
      "A".repeat(129),
    ]) {
      assert.ok(!isValidCallback(bad), JSON.stringify(bad));
    }
  });

  it("reads the first callback parameter, decoded", () => {
    assert.equal(callbackParam(""), "");
    assert.equal(callbackParam("x=1"), "");
    assert.equal(callbackParam("callback="), "");
    assert.equal(callbackParam("_=1&callback=a%2Eb&callback=c"), "a.b");
    assert.equal(callbackParam("callback=a+b"), "a b");
  });

  it("prefixes the wrapped body with a comment", () => {
    assert.deepEqual(jsonpWrap("cb"), { open: "/**/cb(", close: ")" });
  });
});
