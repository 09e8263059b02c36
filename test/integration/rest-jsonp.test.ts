/**
 * JSONP: the old service reflected `?callback=` unchecked, so `<script>` came back as-is. Valid
 * identifier paths are wrapped as `/**\/name({...})`; every hostile name is a 400 whose body
 * never contains it.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { assertLegacyHeaders, httpRequest } from "../helpers/rest-http.js";
import { startTestService } from "../helpers/service.js";

const CALLBACK_ERROR =
  '{"error":"callback must be a JavaScript identifier path like cb or jQuery123.done, at most 128 characters"}';

/** A deterministic PRNG (mulberry32): the fuzz is the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("REST: JSONP callbacks", () => {
  let redis: TestRedis;
  let service: Service;
  let plain: string;

  const withCallback = (encoded: string) =>
    httpRequest(`${service.url}/api/stats/track/acme/pageview/2026?callback=${encoded}`);

  before(async () => {
    redis = await startRedis();
    const prefix = redis.prefix();
    service = await startTestService(["--role", "api", "--redis", redis.url, "--key-prefix", prefix]);
    await redis.client.hincrby(`${prefix}track:acme:pageview:2026`, "11", 3);
    plain = (await httpRequest(`${service.url}/api/stats/track/acme/pageview/2026`)).body;
  });
  after(async () => {
    await service.stop();
    await redis.stop();
  });

  it("wraps valid identifier paths", async () => {
    for (const name of ["foo", "jQuery1102043_1385142398117", "$", "_", "a.b.c", "$jq._cb1", "x".repeat(128)]) {
      const a = await withCallback(encodeURIComponent(name));
      assert.equal(a.status, 200, name);
      assertLegacyHeaders(a, "text/javascript");
      assert.equal(a.body, `/**/${name}(${plain})`);
    }
    // Other parameters (jQuery's cache buster) are ignored; the first callback counts.
    const a = await withCallback("cb&_=1385142398118&callback=other");
    assert.equal(a.body, `/**/cb(${plain})`);
  });

  it("treats an empty callback as none, as the old service did", async () => {
    const a = await withCallback("");
    assert.equal(a.status, 200);
    assertLegacyHeaders(a);
    assert.equal(a.body, plain);
  });

  const hostile = [
    "<script>alert(1)</script>",
    "foo<script>",
    '"foo"',
    "'foo'",
    "foo()",
    "foo(1);bar",
    "alert(document.cookie)//",
    "foo\nbar",
    "foo\r\nX-Injected: 1",
    "foo\u2028bar",
    "foo\u2029",
    "foo bar",
    "foo;",
    "a..b",
    ".a",
    "a.",
    "1abc",
    "a-b",
    "a[0]",
    "a/**/b",
    "CWSfoo\u0000",
    "é",
    "ａ",
    "x".repeat(129),
    "a.b".repeat(1000),
  ];

  it("rejects hostile callbacks with 400 and never echoes them", async () => {
    for (const name of hostile) {
      const a = await withCallback(encodeURIComponent(name));
      assert.equal(a.status, 400, JSON.stringify(name));
      assertLegacyHeaders(a);
      assert.equal(a.body, CALLBACK_ERROR);
    }
  });

  it("rejects a fuzz of names with a hostile character anywhere, never echoing them", async () => {
    const random = prng(4);
    const safe = "abcXYZ_$09.";
    const bad = [
      "<",
      ">",
      '"',
      "'",
      "(",
      ")",
      ";",
      "\n",
      "\r",
      "\u2028",
      "\u2029",
      " ",
      "/",
      "\\",
      "=",
      "&",
      "%",
      "\u0000",
      "`",
      "{",
    ];
    const pick = (s: ArrayLike<string>) => s[Math.floor(random() * s.length)] as string;
    for (let i = 0; i < 300; i++) {
      const chars = Array.from({ length: 1 + Math.floor(random() * 40) }, () => pick(safe));
      chars.splice(Math.floor(random() * (chars.length + 1)), 0, pick(bad));
      const name = chars.join("");
      const a = await withCallback(encodeURIComponent(name));
      assert.equal(a.status, 400, JSON.stringify(name));
      assert.equal(a.body, CALLBACK_ERROR, JSON.stringify(name));
    }
  });

  it("checks the callback before anything else, even on an unknown route", async () => {
    const a = await httpRequest(`${service.url}/api/stats/nosuchroute?callback=%3Cscript%3E`);
    assert.equal(a.status, 400);
    assert.equal(a.body, CALLBACK_ERROR);
  });
});
