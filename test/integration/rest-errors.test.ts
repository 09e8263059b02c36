/**
 * Where the old service answered 200 `{}` (or dumped every key), ours answers a clear error:
 * unknown routes 404, bad names, numbers and dates 400, other methods 405, huge URLs 414 —
 * always a JSON `{"error": ...}` with the legacy headers, never a 500.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { assertLegacyHeaders, type HttpAnswer, httpRequest } from "../helpers/rest-http.js";
import { startTestService } from "../helpers/service.js";

describe("REST: errors", () => {
  let redis: TestRedis;
  let service: Service;
  let prefix: string;

  const get = (path: string, opts: { method?: string; headers?: Record<string, string> } = {}) =>
    httpRequest(`${service.url}/api/stats${path}`, opts);
  const expectError = async (path: string, status: number, message?: RegExp): Promise<HttpAnswer> => {
    const a = await get(path);
    assert.equal(a.status, status, `${path}: ${a.body}`);
    assertLegacyHeaders(a);
    const body = JSON.parse(a.body) as { error: unknown };
    assert.deepEqual(Object.keys(body), ["error"], a.body);
    assert.equal(typeof body.error, "string");
    if (message) assert.match(body.error as string, message, path);
    return a;
  };

  before(async () => {
    redis = await startRedis();
    prefix = redis.prefix();
    service = await startTestService(["--role", "api", "--redis", redis.url, "--key-prefix", prefix]);
    // Data that a glob would find: `/track/*` made the old service dump every key.
    await redis.client.hincrby(`${prefix}track:acme:pageview:2026`, "11", 3);
    await redis.client.sadd(`${prefix}index:track:accounts`, "acme");
  });
  after(async () => {
    await service.stop();
    await redis.stop();
  });

  it("404s unknown routes instead of answering 200 {}", async () => {
    await expectError("/foo", 404);
    await expectError("/foo/acme/pageview/2026", 404);
    await expectError("/Track/acme", 404);
    await expectError("/track/acme/pageview/2026/11/28/3/7", 404);
    await expectError("/funnels/acme/order/2026/11/28/3", 404);
    await expectError("/track//pageview", 404);
  });

  it("400s names outside [A-Za-z0-9._-]{1,128}: nothing reaches Redis as a glob", async () => {
    for (const path of [
      "/track/*",
      "/track/*/pageview/2026",
      "/track/acme/*",
      "/track/ac*/pageview/2026",
      "/track/a%3Ab/pageview/2026",
      "/track/acme/page%20view",
      "/track/acme/page%2Fview/2026",
      `/track/${"a".repeat(129)}`,
    ]) {
      const a = await expectError(path, 400, /^(account|event) must be 1-128 characters/);
      assert.ok(!a.body.includes("acme:pageview"), a.body);
    }
    await expectError("/track/%E0%A4%A", 400, /percent-encoding/);
  });

  it("400s a segment that is not a number where a number belongs", async () => {
    await expectError("/track/acme/pageview/abc", 400, /^year must be a whole number$/);
    await expectError("/track/acme/pageview/2026/nov", 400, /^month must be a whole number$/);
    await expectError("/track/acme/pageview/2026/11/-1", 400, /^day must be a whole number$/);
    await expectError("/track/acme/pageview/2026/11/28/3.5", 400, /^hour must be a whole number$/);
    await expectError("/track/acme/pageview/2026/1e1", 400, /^month must be a whole number$/);
    await expectError("/track/acme/pageview/+2026", 400, /^year must be a whole number$/);
  });

  it("400s a date that does not exist", async () => {
    await expectError("/track/acme/pageview/0", 400, /^year must be an integer from 1970 to 9999/);
    await expectError("/track/acme/pageview/99999", 400, /^year must be/);
    await expectError("/track/acme/pageview/2026/0", 400, /^month must be 1-12/);
    await expectError("/track/acme/pageview/2026/13", 400, /^month must be 1-12, got 13$/);
    await expectError("/track/acme/pageview/2026/2/29", 400, /^day must be 1-28 for 2026-2, got 29$/);
    await expectError("/track/acme/pageview/2026/04/31", 400, /^day must be 1-30/);
    await expectError("/funnels/acme/order/2026/11/0", 400, /^day must be 1-30/);
    await expectError("/track/acme/pageview/2026/11/28/24", 400, /^hour must be 0-23, got 24$/);
    // Leap years are real.
    assert.equal((await get("/track/acme/pageview/2028/2/29")).status, 200);
    assert.equal((await get("/track/acme/pageview/2026/11/28/0")).status, 200);
  });

  it("answers only GET and HEAD", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const a = await get("/track/acme/pageview/2026", { method });
      assert.equal(a.status, 405, method);
      assert.equal(a.headers["allow"], "GET, HEAD");
      assertLegacyHeaders(a);
      assert.match(a.body, /^\{"error":"method not allowed/);
    }
  });

  it("refuses an oversized URL with 414 and a Host that is not a host with 400", async () => {
    await expectError(`/track/acme/pageview/2026?x=${"a".repeat(5000)}`, 414);
    for (const Host of ["evil.com/<script>", "a b", "x".repeat(300), "host:port"]) {
      const a = await get("/", { headers: { Host } });
      assert.equal(a.status, 400, Host);
      assert.equal(a.body, '{"error":"bad Host header"}');
    }
  });

  it("still serves the data a bad request was near", async () => {
    const a = await get("/track/acme/pageview/2026");
    assert.equal(a.status, 200);
    assert.deepEqual(JSON.parse(a.body).data, { "11": 3 });
  });
});
