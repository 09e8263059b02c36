import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeFrames, MAX_MESSAGE_BYTES } from "../../src/ingest/decode.js";

const b = (s: string) => Buffer.from(s);
const ok = (frames: Buffer[]) => {
  const d = decodeFrames(frames);
  assert.ok(d.ok, `expected ok, got ${JSON.stringify(d)}`);
  return d.event;
};
const reason = (frames: Buffer[]) => {
  const d = decodeFrames(frames);
  assert.ok(!d.ok, `expected a drop, got ${JSON.stringify(d)}`);
  return d.reason;
};
const doc = { type: "pageview", time: "2013-09-05T16:07:00Z", data: { account: "acme", unq: "1", status: "x" } };

describe("decodeFrames: accepted forms", () => {
  it("one frame `topic json`", () => {
    assert.deepEqual(ok([b(`pageview ${JSON.stringify(doc)}`)]), {
      type: "pageview",
      account: "acme",
      unique: true,
      status: "x",
      time: "2013-09-05T16:07:00Z",
    });
  });
  it("two frames [topic, json]", () => {
    assert.equal(ok([b("pageview"), b(JSON.stringify(doc))]).account, "acme");
  });
  it("one frame of bare JSON, leading whitespace allowed", () => {
    assert.equal(ok([b(JSON.stringify(doc))]).type, "pageview");
    assert.equal(ok([b(`  \n${JSON.stringify(doc)}`)]).type, "pageview");
  });
  it("the JSON's type decides, not the topic word", () => {
    assert.equal(ok([b(`order ${JSON.stringify(doc)}`)]).type, "pageview");
  });
  it('unq counts as unique only for "1", 1 and true', () => {
    const uniq = (unq: unknown) => ok([b(JSON.stringify({ type: "t", data: { account: "a", unq } }))]).unique;
    assert.deepEqual(["1", 1, true, "0", 0, false, "true", "yes", null, undefined, 2].map(uniq), [
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
  it("status: string kept, number stringified, absent or null empty", () => {
    const status = (s: unknown) => ok([b(JSON.stringify({ type: "order", data: { account: "a", status: s } }))]).status;
    assert.equal(status("checkout"), "checkout");
    assert.equal(status(3), "3");
    assert.equal(status(undefined), "");
    assert.equal(status(null), "");
    assert.equal(status(""), "");
  });
  it("accepts names of [A-Za-z0-9._-] up to 128 characters, case-sensitive", () => {
    const name = `A.b_c-9${"x".repeat(121)}`;
    assert.equal(name.length, 128);
    assert.equal(ok([b(JSON.stringify({ type: "PageView", data: { account: name } }))]).account, name);
  });
  it("ignores unknown fields", () => {
    assert.equal(
      ok([b(JSON.stringify({ type: "t", extra: [1], data: { account: "a", more: { x: 1 } } }))]).account,
      "a",
    );
  });
});

describe("decodeFrames: rejected forms, each with its reason", () => {
  const cases: Array<[string, Buffer[], string]> = [
    ["empty frame", [b("")], "bad_json"],
    ["topic only", [b("pageview")], "bad_json"],
    ["truncated JSON", [b('pageview {"type":"pageview","data":{"acc')], "bad_json"],
    ["three frames", [b("a"), b("b"), b("{}")], "bad_frames"],
    ["no frames", [], "bad_frames"],
    ["JSON array", [b("t [1,2]")], "not_object"],
    ["JSON null", [b("t null")], "not_object"],
    ["JSON string", [b('t "x"')], "not_object"],
    ["missing type", [b('{"data":{"account":"a"}}')], "missing_type"],
    ["empty type", [b('{"type":"","data":{"account":"a"}}')], "missing_type"],
    ["type not a string", [b('{"type":7,"data":{"account":"a"}}')], "bad_type"],
    ["type with a space", [b('{"type":"page view","data":{"account":"a"}}')], "bad_type"],
    ["type with a colon", [b('{"type":"a:b","data":{"account":"a"}}')], "bad_type"],
    ["missing data", [b('{"type":"t"}')], "missing_account"],
    ["data not an object", [b('{"type":"t","data":"acme"}')], "missing_account"],
    ["missing account", [b('{"type":"t","data":{}}')], "missing_account"],
    ["account a number", [b('{"type":"t","data":{"account":5}}')], "bad_account"],
    ["account with a colon", [b('{"type":"t","data":{"account":"a:b"}}')], "bad_account"],
    ["account with a star", [b('{"type":"t","data":{"account":"*"}}')], "bad_account"],
    ["account only dots", [b('{"type":"t","data":{"account":".."}}')], "bad_account"],
    ["type only a dot", [b('{"type":".","data":{"account":"a"}}')], "bad_type"],
    ["account with a brace", [b('{"type":"t","data":{"account":"{a}"}}')], "bad_account"],
    ["account with unicode", [b('{"type":"t","data":{"account":"café"}}')], "bad_account"],
    [
      "account of 129 characters",
      [b(JSON.stringify({ type: "t", data: { account: "a".repeat(129) } }))],
      "bad_account",
    ],
    ["status an object", [b('{"type":"t","data":{"account":"a","status":{}}}')], "bad_status"],
    [
      "status too long",
      [b(JSON.stringify({ type: "t", data: { account: "a", status: "s".repeat(129) } }))],
      "bad_status",
    ],
  ];
  for (const [name, frames, expected] of cases) {
    it(name, () => assert.equal(reason(frames), expected));
  }
  it("larger than 64 KiB, in one frame or summed over two", () => {
    const big = JSON.stringify({ type: "t", data: { account: "a", pad: "x".repeat(MAX_MESSAGE_BYTES) } });
    assert.equal(reason([b(big)]), "too_large");
    assert.equal(
      reason([b("t".repeat(40_000)), b(`{"type":"t","data":{"account":"a","p":"${"x".repeat(30_000)}"}}`)]),
      "too_large",
    );
  });
  it("exactly 64 KiB is accepted", () => {
    const base = JSON.stringify({ type: "t", data: { account: "a", pad: "" } });
    const padded = JSON.stringify({
      type: "t",
      data: { account: "a", pad: "x".repeat(MAX_MESSAGE_BYTES - base.length) },
    });
    assert.equal(padded.length, MAX_MESSAGE_BYTES);
    assert.equal(ok([b(padded)]).account, "a");
  });
  it("invalid UTF-8 bytes do not throw", () => {
    assert.equal(reason([Buffer.from([0xff, 0xfe, 0x7b, 0x00])]), "bad_json");
  });
});
