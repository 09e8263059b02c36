/**
 * With Redis down the old service answered 200 with empty data, which a dashboard reads as zero
 * traffic. Ours answers 503 with a JSON error at once (never waiting for Redis), and serves the data again once Redis is back.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { assertLegacyHeaders, httpRequest } from "../helpers/rest-http.js";
import { startTestService } from "../helpers/service.js";

/** Far above the few ms a 503 takes (> 100 x, even on a busy machine), below the 10 s command timeout. */
const HANG_GUARD_MS = 5_000;

describe("REST: Redis down", () => {
  let redis: TestRedis;
  let service: Service;

  const get = (path: string) => httpRequest(`${service.url}/api/stats${path}`);

  before(async () => {
    redis = await startRedis({ appendonly: true });
    const prefix = redis.prefix();
    service = await startTestService(["--role", "api", "--redis", redis.url, "--key-prefix", prefix]);
    await redis.client.hincrby(`${prefix}track:acme:pageview:2026:11`, "28", 3);
    await redis.client.sadd(`${prefix}index:track:accounts`, "acme");
  });
  after(async () => {
    await service.stop();
    await redis.stop();
  });

  it("answers 503 with a JSON error while Redis is stopped, and recovers", async () => {
    assert.deepEqual(JSON.parse((await get("/track/acme/pageview/2026/11")).body).data, { "28": 3 });

    await redis.kill();
    for (const path of [
      "/track/acme/pageview/2026/11",
      "/track",
      "/track/acme",
      "/track/acme/pageview",
      "/funnels/acme/order/2026",
    ]) {
      const started = Date.now();
      const a = await get(path);
      assert.equal(a.status, 503, `${path}: ${a.body}`);
      // A hang guard, not a latency figure: the 503 takes a few ms; what it must never do is wait
      // for Redis (until the 10 s command timeout, or until Redis is back).
      assert.ok(Date.now() - started < HANG_GUARD_MS, `${path} took ${Date.now() - started} ms`);
      assertLegacyHeaders(a);
      assert.equal(a.headers["retry-after"], "1");
      assert.equal(a.body, '{"error":"the stats store is unavailable; retry later"}');
    }
    // The root reads nothing from Redis.
    assert.equal((await get("/")).status, 200);
    // JSONP too: an outage is never wrapped as if it were data.
    const jsonp = await get("/track/acme/pageview/2026/11?callback=cb");
    assert.equal(jsonp.status, 503);
    assertLegacyHeaders(jsonp);

    await redis.restart();
    await eventually(
      async () => (await get("/track/acme/pageview/2026/11")).status === 200,
      "REST answering again after Redis restarted",
    );
    assert.deepEqual(JSON.parse((await get("/track/acme/pageview/2026/11")).body).data, { "28": 3 });
  });
});
