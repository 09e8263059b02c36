/**
 * The live top feed without sockets (memory bus, memory store): subscribers of the same arguments
 * share one watch, one read per flush and the same answer object; a burst of flushes is read at
 * most once per interval, and the last state always arrives.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import type { TopView } from "../../src/domain/top-view.js";
import type { StatsStore, TrackDelta } from "../../src/domain/types.js";
import { resolveWindow } from "../../src/domain/window.js";
import { createLiveFeed } from "../../src/live/feed.js";
import { createLiveBus } from "../../src/live/pubsub.js";
import { createTopFeed } from "../../src/live/top-feed.js";
import { planTopTarget } from "../../src/read/top-read.js";
import { createKeySpace } from "../../src/store/keys.js";
import { createMemoryBackend } from "../../src/store/memory-backend.js";
import { createStatsStore } from "../../src/store/stats-store.js";

const log = pino({ level: "silent" });
const DAY = 86_400_000;

describe("live top feed", () => {
  it("one read per flush for every subscriber of the same arguments, at most one per interval", async () => {
    const base = createStatsStore(createMemoryBackend(), createKeySpace(""), { minuteRetentionSeconds: 3600 });
    let reads = 0;
    const store: StatsStore = {
      ...base,
      top(req) {
        reads++;
        return base.top(req);
      },
    };
    const bus = createLiveBus({ pubsub: "memory", redis: "", redisCluster: [], keyPrefix: "" }, log);
    const live = createLiveFeed(bus, store, log);
    const minIntervalMs = 300;
    const opts = { now: Date.now, maxPoints: 1500, minuteRetentionMs: 30 * DAY, minIntervalMs };
    const feed = createTopFeed(live, store, log, opts);
    const window = resolveWindow({ granularity: "DAY", timeZone: "UTC", last: 1 }, Date.now(), 1500);
    const planned = planTopTarget({ event: "pageview", first: 3, window }, Date.now(), opts);
    try {
      const subs = await Promise.all(Array.from({ length: 10 }, () => feed.watch(planned, 1)));
      for (const s of subs) assert.equal(((await s.next()).value as TopView).total, 0);
      assert.equal(feed.subscribers, 10);

      const d = new Date();
      const at = {
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hour: d.getUTCHours(),
        minute: d.getUTCMinutes(),
      };
      const flush = async (i: number, account: string) => {
        const deltas: TrackDelta[] = [
          { kind: "track", account, event: "pageview", ...at, count: 1 },
          { kind: "track", account: "all", event: "pageview", ...at, count: 1 },
        ];
        await store.apply({ id: `b${i}`, deltas, events: 1 });
        await bus.pubsub.publish("flushed", { id: `b${i}`, deltas });
      };

      // One flush: one read for the ten subscribers, and the same object for all of them.
      reads = 0;
      await flush(0, "acme");
      const first = await Promise.all(subs.map(async (s) => (await s.next()).value as TopView));
      assert.equal(reads, 1);
      assert.ok(first.every((v) => v === first[0]));
      assert.deepEqual(first[0]?.accounts, [{ account: "acme", count: 1 }]);

      // A burst of 30 flushes: reads bounded by the elapsed time over the interval, and the last
      // state (beta leading with 30) arrives.
      reads = 0;
      const started = Date.now();
      for (let i = 1; i <= 30; i++) await flush(i, "beta");
      let last = (await subs[0]?.next())?.value as TopView;
      while (last.total !== 31) last = (await subs[0]?.next())?.value as TopView;
      const elapsed = Date.now() - started;
      assert.deepEqual(last.accounts, [
        { account: "beta", count: 30 },
        { account: "acme", count: 1 },
      ]);
      assert.ok(reads <= 1 + Math.ceil(elapsed / minIntervalMs), `${reads} reads in ${elapsed} ms`);
    } finally {
      await feed.close();
      await live.close();
      await bus.close();
    }
  });
});
