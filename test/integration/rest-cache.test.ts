/**
 * REST answers are cached between flushes: a repeated request is served without a store read,
 * and the first request after a flush sees the new counts at once (no staleness window).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { LiveStatsDocument } from "../gql/graphql.js";
import { subscribeSse } from "../helpers/graphql.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { metricValue, startTestService } from "../helpers/service.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

for (const pubsub of ["redis", "memory"] as const) {
  describe(`REST answer cache (--pubsub ${pubsub})`, () => {
    let redis: TestRedis;
    let pub: TestPublisher;
    let service: Service;
    const at = "2026-03-04T05:06:00Z";

    before(async () => {
      redis = await startRedis();
      pub = await startPublisher();
      service = await startTestService(
        ["--redis", redis.url, "--zmq", pub.endpoint, "--key-prefix", redis.prefix()].concat([
          "--time-source",
          "event",
          "--pubsub",
          pubsub,
        ]),
      );
      await pub.waitForSubscribers();
    });
    after(async () => {
      await service.stop();
      pub.close();
      await redis.stop();
    });

    const applied = async () =>
      metricValue(await (await fetch(`${service.url}/metrics`)).text(), "stats_events_applied_total");
    const month = async () => {
      const res = await fetch(`${service.url}/api/stats/track/acme/pageview/2026/3`);
      assert.equal(res.status, 200);
      return (await res.json()) as { data: Record<string, number> };
    };
    const commands = async () => {
      const info = await redis.client.info("commandstats");
      return Number(/cmdstat_hgetall:calls=(\d+)/.exec(info)?.[1] ?? 0);
    };

    it("serves repeats from memory and the first request after a flush from the store", async () => {
      await pub.send(pageview("acme", {}, at));
      await eventually(async () => (await applied()) === 1, "1 event applied");
      assert.deepEqual((await month()).data, { "4": 1 });
      // The flush's announcement may land while that first answer is read, which then is not
      // kept (it raced a flush): wait until one answer comes from memory, then count.
      await eventually(async () => {
        const reads = await commands();
        await month();
        return (await commands()) === reads;
      }, "an answer served from the cache");
      const before = await commands();
      for (let i = 0; i < 20; i++) assert.deepEqual((await month()).data, { "4": 1 });
      assert.equal(await commands(), before, "repeats did not read Redis");

      // The marker that the flush's announcement has reached the cache: a live subscriber of the
      // same process is updated only after the flush listeners (the caches' invalidation) ran.
      const live = subscribeSse(service.url, LiveStatsDocument, {
        account: "acme",
        event: "pageview",
        year: 2026,
        month: 3,
      });
      try {
        assert.equal((await live.next()).data?.stats.total, 1, "the snapshot");
        await pub.send(pageview("acme", {}, at));
        await pub.send(pageview("acme", {}, at));
        while (((await live.next()).data?.stats.total ?? 0) < 3);
        assert.equal(await applied(), 3);
        assert.deepEqual((await month()).data, { "4": 3 }, "the new count, not a cached one");
      } finally {
        await live.close();
      }
    });
  });
}
