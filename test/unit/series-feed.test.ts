/**
 * The live series feed without sockets (memory bus, memory store, a clock the test moves and
 * node:test's mock timers): one timer per (zone, granularity) whatever the number of subscribers
 * and windows, one read per watched window per flush shared by every subscriber, and a slide at
 * the boundary with no event (within one second of it on the feed's clock, the contract's bound).
 */
import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { pino } from "pino";
import type { SeriesView } from "../../src/domain/series-view.js";
import type { StatsStore, TrackDelta } from "../../src/domain/types.js";
import { resolveWindow } from "../../src/domain/window.js";
import { createLiveFeed } from "../../src/live/feed.js";
import { createLiveBus } from "../../src/live/pubsub.js";
import { createSeriesFeed } from "../../src/live/series-feed.js";
import { planSeries } from "../../src/read/series-read.js";
import { createKeySpace } from "../../src/store/keys.js";
import { createMemoryBackend } from "../../src/store/memory-backend.js";
import { createStatsStore } from "../../src/store/stats-store.js";

const log = pino({ level: "silent" });
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

describe("live series feed", () => {
  it("shares one timer per zone and granularity and one read per window per flush; slides with no event", async () => {
    // A clock stopped 400 ms before a minute boundary; the test moves it (and the feed's timers)
    // across the boundary when it is ready, however long the steps before took.
    // Never an hour boundary: there the Santiago hour windows would slide too.
    let boundary = Math.ceil((Date.now() + 5 * MINUTE) / MINUTE) * MINUTE;
    if (boundary % HOUR === 0) boundary += MINUTE;
    let clock = boundary - 400;
    const now = () => clock;
    mock.timers.enable({ apis: ["setTimeout"] });

    const base = createStatsStore(createMemoryBackend(now), createKeySpace(""), { minuteRetentionSeconds: 3600 });
    const reads: number[] = [];
    const store: StatsStore = {
      ...base,
      countsMany(requests) {
        reads.push(requests.length);
        return base.countsMany(requests);
      },
    };
    const bus = createLiveBus({ pubsub: "memory", redis: "", redisCluster: [], keyPrefix: "" }, log);
    const live = createLiveFeed(bus, store, log);
    const opts = { now, maxPoints: 1500, minuteRetentionMs: 30 * DAY };
    const feed = createSeriesFeed(live, store, log, opts);
    const watch = (granularity: "MINUTE" | "HOUR", timeZone: string, last: number) => {
      const window = resolveWindow({ granularity, timeZone, last }, now(), 1500);
      const target = { kind: "track" as const, account: "acme", event: "pageview", window, withPrevious: false };
      return feed.watch(planSeries(target, now(), opts), last);
    };
    try {
      const minuteTwo = await Promise.all(Array.from({ length: 20 }, () => watch("MINUTE", "UTC", 2)));
      const minuteThree = await Promise.all(Array.from({ length: 5 }, () => watch("MINUTE", "UTC", 3)));
      const hours = await Promise.all(Array.from({ length: 3 }, () => watch("HOUR", "America/Santiago", 3)));
      const all = [...minuteTwo, ...minuteThree, ...hours];
      for (const sub of all) assert.equal(((await sub.next()).value as SeriesView).total, 0);
      assert.equal(feed.timers, 2, "one timer for UTC minutes, one for Santiago hours");
      assert.equal(feed.subscribers, 28);

      // A flush inside every window: one read per window (3), not per subscriber (28).
      reads.length = 0;
      const d = new Date(now());
      const delta: TrackDelta = {
        kind: "track",
        account: "acme",
        event: "pageview",
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hour: d.getUTCHours(),
        minute: d.getUTCMinutes(),
        count: 4,
      };
      await store.apply({ id: "b1", deltas: [delta], events: 4 });
      await bus.pubsub.publish("flushed", { id: "b1", deltas: [delta] });
      const updates = await Promise.all(all.map(async (s) => (await s.next()).value as SeriesView));
      assert.ok(updates.every((u) => u.total === 4));
      assert.ok(
        minuteTwo.every((_, i) => updates[i] === updates[0]),
        "the 20 subscribers of one window share one object",
      );
      assert.equal(reads.length, 3, `reads per flush: ${reads.join(",")}`);

      // No event: at the boundary the minute windows slide, the hour windows do not.
      const hourNext = hours.map((s) => s.next());
      const minuteNext = [...minuteTwo, ...minuteThree].map((s) => s.next());
      // Not before the boundary; read (the slide's first step, synchronous with its timer) within
      // one second of it, as the contract says.
      reads.length = 0;
      clock = boundary - 1;
      mock.timers.tick(399);
      assert.equal(reads.length, 0, "no slide before the boundary");
      clock = boundary + 1000;
      mock.timers.tick(1001);
      assert.equal(reads.length, 2, "both minute windows read again within 1 s of the boundary");
      const slid = (await Promise.all(minuteNext)).map((r) => r.value as SeriesView);
      for (const s of slid) {
        assert.equal(s.points.at(-1)?.start.getTime(), boundary);
        assert.equal(s.points.at(-2)?.count, 4, "the event's minute moved down one place");
      }
      // The marker that the hour windows did not slide: their next message is the next flush's.
      const hourFrom = updates[25]?.from.getTime();
      await store.apply({ id: "b2", deltas: [{ ...delta, count: 1 }], events: 1 });
      await bus.pubsub.publish("flushed", { id: "b2", deltas: [{ ...delta, count: 1 }] });
      for (const r of await Promise.all(hourNext)) {
        const v = r.value as SeriesView;
        assert.deepEqual([v.total, v.from.getTime()], [5, hourFrom]);
      }

      for (const sub of all) await sub.return?.();
      assert.equal(feed.timers, 0, "the last subscriber gone, no timer is left");
    } finally {
      await feed.close();
      await live.close();
      mock.timers.reset();
    }
  });

  it("zone names that differ only in case share one watch and one timer (the canonical zone)", async () => {
    const base = createStatsStore(createMemoryBackend(Date.now), createKeySpace(""), { minuteRetentionSeconds: 3600 });
    const bus = createLiveBus({ pubsub: "memory", redis: "", redisCluster: [], keyPrefix: "" }, log);
    const live = createLiveFeed(bus, base, log);
    const opts = { now: Date.now, maxPoints: 1500, minuteRetentionMs: 30 * DAY };
    const feed = createSeriesFeed(live, base, log, opts);
    const spellings = ["Asia/Kolkata", "asia/kolkata", "ASIA/KOLKATA", "Asia/KOLKATA"];
    try {
      const subs = await Promise.all(
        spellings.map((timeZone) => {
          const window = resolveWindow({ granularity: "HOUR", timeZone, last: 3 }, Date.now(), 1500);
          const target = { kind: "track" as const, account: "acme", event: "pageview", window, withPrevious: false };
          return feed.watch(planSeries(target, Date.now(), opts), 3);
        }),
      );
      const names = await Promise.all(subs.map(async (s) => ((await s.next()).value as SeriesView).timeZone));
      // Every spelling is named as the tz database writes it (not by ICU's older name, Asia/Calcutta).
      assert.deepEqual(
        names,
        spellings.map(() => "Asia/Kolkata"),
      );
      assert.equal(feed.timers, 1, "one timer for the zone, not one per spelling");
      assert.equal(feed.subscribers, 4);
    } finally {
      await feed.close();
      await live.close();
    }
  });
});
