/**
 * Redis goes away mid-stream (SIGKILL) for a few seconds while events keep coming, then comes back
 * on the same port with its append-only file. Nothing is lost and nothing is counted twice; the
 * service says it is not ready meanwhile, and its backlog shows in /metrics and drains.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { metric, rankedTotals, trackTotal } from "../helpers/ingest.js";
import { eventually, sleep } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService } from "../helpers/service.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

const ACCOUNTS = ["acme", "beta", "gamma"];

describe("ingest: a Redis outage mid-stream", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let service: Service;
  let prefix: string;

  before(async () => {
    redis = await startRedis({ appendonly: true });
    pub = await startPublisher();
    prefix = redis.prefix();
    service = await startTestService(["--redis", redis.url, "--zmq", pub.endpoint, "--key-prefix", prefix]);
    await pub.waitForSubscribers();
    await eventually(async () => (await fetch(`${service.url}/readyz`)).status === 200, "service ready");
  });
  after(async () => {
    await service.stop();
    pub.close();
    await redis.stop();
  });

  it("keeps every event through a kill and restart, reports not-ready meanwhile, and drains its backlog", async () => {
    const sent = new Map<string, number>();
    let total = 0;
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        for (let k = 0; k < 10; k++) {
          const account = ACCOUNTS[total % ACCOUNTS.length] as string;
          await pub.send(pageview(account));
          sent.set(account, (sent.get(account) ?? 0) + 1);
          total++;
        }
        await sleep(10);
      }
    })();
    const readyz = async () => (await fetch(`${service.url}/readyz`)).status;
    const pending = () => metric(service.url, "stats_pending_events");

    try {
      await sleep(1_000);
      assert.ok((await metric(service.url, "stats_events_applied_total")) > 0, "events applied before the outage");
      await redis.kill();

      // During the outage: not ready, and the backlog grows.
      await eventually(async () => (await readyz()) === 503, "/readyz 503 while Redis is down");
      const early = await pending();
      await sleep(3_000);
      const late = await pending();
      assert.ok(late > early && late > 100, `pending events grow during the outage: ${early} then ${late}`);
      assert.equal(await readyz(), 503);

      await redis.restart();
      await eventually(async () => (await readyz()) === 200, "/readyz 200 after Redis is back", 15_000);
      await sleep(500);
    } finally {
      streaming = false;
      await stream;
    }

    await eventually(
      async () => (await metric(service.url, "stats_events_applied_total")) === total,
      `all ${total} events applied`,
      20_000,
    );
    assert.equal(await pending(), 0);
    for (const [account, n] of sent) assert.equal(await trackTotal(redis.client, prefix, account), n, account);
    // The rankings went in the same guarded flushes: exactly once too, at every level.
    for (const [account, n] of sent) {
      assert.deepEqual(await rankedTotals(redis.client, prefix, account), [n, n, n, n, n], `${account} ranked`);
    }
    assert.equal(await trackTotal(redis.client, prefix, "all"), total, "all");
    assert.ok((await metric(service.url, "stats_flush_failures_total")) > 0, "flushes failed during the outage");
    assert.equal(await metric(service.url, "stats_redis_up"), 1);
  });
});
