/**
 * The live machinery without sockets: what a batch changed, the client-facing views, the
 * per-subscriber channel, and the feed's fan-out (one read per flush, snapshot first, detach on
 * return) over the in-process bus and the memory store.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { changedPeriods, incrementsOf, periodKey } from "../../src/domain/changes.js";
import type { Delta, StatsStore } from "../../src/domain/types.js";
import { funnelView, type StatsView, statsView } from "../../src/domain/views.js";
import { createChannel } from "../../src/live/channel.js";
import { createLiveFeed } from "../../src/live/feed.js";
import { createLiveBus } from "../../src/live/pubsub.js";
import { createKeySpace } from "../../src/store/keys.js";
import { createMemoryBackend } from "../../src/store/memory-backend.js";
import { createStatsStore } from "../../src/store/stats-store.js";
import { funnel, track } from "../helpers/deltas.js";

const log = pino({ level: "silent" });

describe("changes of a batch", () => {
  it("a time-series delta changes its year, month, day and hour; a funnel delta its year, month and day", () => {
    const changed = changedPeriods([track("acme"), track("acme", 1, 8), funnel("acme", "paid")]);
    const periods = [...changed.values()].map((r) => `${r.kind} ${JSON.stringify(r.period)}`);
    assert.deepEqual(periods, [
      'track {"year":2013}',
      'track {"year":2013,"month":9}',
      'track {"year":2013,"month":9,"day":5}',
      'track {"year":2013,"month":9,"day":5,"hour":16}',
      'funnels {"year":2013}',
      'funnels {"year":2013,"month":9}',
      'funnels {"year":2013,"month":9,"day":5}',
    ]);
    assert.ok(changed.has(periodKey({ kind: "track", account: "acme", event: "pageview", period: { year: 2013 } })));
  });

  it("increments are the deltas, at the start of their minute (or hour, for funnels)", () => {
    assert.deepEqual(incrementsOf([track("acme", 3), funnel("acme", "paid", 2)]), [
      { account: "acme", event: "pageview", status: undefined, at: new Date("2013-09-05T16:07:00Z"), count: 3 },
      { account: "acme", event: "order", status: "paid", at: new Date("2013-09-05T16:00:00Z"), count: 2 },
    ]);
  });
});

describe("views", () => {
  it("stats are zero-filled and complete; fields that are not segments are ignored", () => {
    const counts = new Map([
      ["29", 4],
      ["30", 9],
      ["x", 5],
    ]);
    const feb = statsView("a", "e", { year: 2012, month: 2 }, counts);
    assert.equal(feb.granularity, "DAY");
    assert.equal(feb.segments.length, 29);
    assert.equal(feb.total, 4);
    const year = statsView("a", "e", { year: 2013 }, new Map([["13", 1]]));
    assert.deepEqual([year.segments.length, year.total], [12, 0]);
    const hour = statsView("a", "e", { year: 2013, month: 1, day: 1, hour: 0 }, new Map([["0", 2]]));
    assert.deepEqual([hour.granularity, hour.segments[0], hour.segments.length], ["MINUTE", { key: 0, count: 2 }, 60]);
  });

  it("funnels list their statuses sorted by name, with the total", () => {
    const f = funnelView(
      "a",
      "order",
      { year: 2013 },
      new Map([
        ["paid", 2],
        ["checkout", 5],
        ["unknown", 1],
      ]),
    );
    assert.deepEqual(
      f.statuses.map((s) => s.status),
      ["checkout", "paid", "unknown"],
    );
    assert.equal(f.total, 8);
  });
});

describe("channel", () => {
  it("latest: a newer value replaces an undelivered one", async () => {
    const ch = createChannel<number>({ kind: "latest" }, () => {});
    ch.push(1);
    ch.push(2);
    assert.deepEqual(await ch.next(), { value: 2, done: false });
    const waiting = ch.next();
    ch.push(3);
    assert.deepEqual(await waiting, { value: 3, done: false });
  });

  it("queue: keeps everything up to the limit, then ends the subscription with an error", async () => {
    const ch = createChannel<number>({ kind: "queue", limit: 2 }, () => {});
    ch.push(1);
    ch.push(2);
    ch.push(3);
    assert.equal((await ch.next()).value, 1);
    assert.equal((await ch.next()).value, 2);
    await assert.rejects(ch.next(), /fell more than 2 messages behind/);
    assert.equal(ch.closed, true);
  });

  it("return() detaches once and ends a pending next()", async () => {
    let closes = 0;
    const ch = createChannel<number>({ kind: "latest" }, () => closes++);
    const pending = ch.next();
    await ch.return?.();
    await ch.return?.();
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.equal(closes, 1);
    ch.push(1);
    assert.deepEqual(await ch.next(), { value: undefined, done: true });
  });
});

/** The memory store, with its countsMany calls counted and optionally held back. */
function countingStore() {
  const store = createStatsStore(createMemoryBackend(), createKeySpace(""), { minuteRetentionSeconds: 3600 });
  const reads: number[] = [];
  let hold: Promise<void> | undefined;
  const counting: StatsStore = {
    ...store,
    async countsMany(requests) {
      reads.push(requests.length);
      const gate = hold;
      const result = await store.countsMany(requests);
      if (gate) await gate;
      return result;
    },
  };
  return {
    store: counting,
    reads,
    holdNextRead() {
      let release: () => void = () => {};
      hold = new Promise((r) => {
        release = r;
      });
      return () => {
        hold = undefined;
        release();
      };
    },
  };
}

async function setup() {
  const bus = createLiveBus({ pubsub: "memory", redis: "", redisCluster: [], keyPrefix: "" }, log);
  const s = countingStore();
  const feed = createLiveFeed(bus, s.store, log);
  // The feed tells its flush listeners about a batch before it updates anyone (the marker that a
  // publish was heard, so a test waits for it rather than for a while).
  const heard = new Set<string>();
  const hearing = new Map<string, () => void>();
  feed.onFlushed((batch) => {
    if (!batch) return;
    heard.add(batch.id);
    hearing.get(batch.id)?.();
  });
  let seq = 0;
  /**
   * Applies a batch to the store; the returned function publishes it, as the flusher does next,
   * and resolves once the feed has heard it (and started any read it causes).
   */
  const apply = async (deltas: Delta[]) => {
    const batch = { id: `b${seq++}`, deltas, events: deltas.length };
    await s.store.apply(batch);
    return async () => {
      const wasHeard = heard.has(batch.id)
        ? Promise.resolve()
        : new Promise<void>((r) => hearing.set(batch.id, () => r()));
      bus.pubsub.publish("flushed", { id: batch.id, deltas });
      await wasHeard;
    };
  };
  const flush = async (deltas: Delta[]) => (await apply(deltas))();
  return { ...s, feed, apply, flush, close: () => feed.close() };
}

const totals = (values: StatsView[]) => values.map((v) => v.total);

describe("live feed", () => {
  it("sends the snapshot, then one shared Stats per flush, read once for every subscriber", async () => {
    const t = await setup();
    try {
      await t.flush([track("acme", 2)]);
      const subs = await Promise.all(
        Array.from({ length: 5 }, () => t.feed.stats("acme", "pageview", { year: 2013, month: 9 })),
      );
      for (const sub of subs) assert.equal((await sub.next()).value?.total, 2);
      t.reads.length = 0;

      await t.flush([track("acme", 3), track("acme", 1, 9), track("other", 5)]);
      const updates = await Promise.all(subs.map(async (sub) => (await sub.next()).value as StatsView));
      assert.deepEqual(totals(updates), [6, 6, 6, 6, 6]);
      assert.ok(
        updates.every((u) => u === updates[0]),
        "every subscriber gets the same object",
      );
      assert.deepEqual(t.reads, [1], "one read of one period for five subscribers");

      // A flush that does not touch the period: no read, no message. The marker that shows it is
      // the next flush that does touch it: its update is the next message, and the only new read.
      const waiting = subs.map((sub) => sub.next());
      await t.flush([track("other", 1)]);
      await t.flush([track("acme", 1)]);
      const next = await Promise.all(waiting);
      assert.deepEqual(
        next.map((r) => r.value?.total),
        [7, 7, 7, 7, 7],
      );
      assert.deepEqual(t.reads, [1, 1], "the flush of another account was not read");
      for (const sub of subs) await sub.return?.();
      assert.equal(t.feed.subscribers, 0);
    } finally {
      await t.close();
    }
  });

  it("a flush that lands while the snapshot is being read is not lost", async () => {
    const t = await setup();
    try {
      await t.flush([track("acme", 1)]);
      // The snapshot is read (total 1) but its answer is held back; meanwhile a flush lands.
      const release = t.holdNextRead();
      const subscribing = t.feed.stats("acme", "pageview", { year: 2013 });
      assert.equal(t.reads.length, 1, "the snapshot read has started");
      await t.flush([track("acme", 1)]);
      assert.equal(t.reads.length, 2, "the flush's read has started, while the snapshot's is held");
      release();
      const sub = await subscribing;
      // The client had not read the snapshot yet: it gets the newest state straight away.
      assert.equal((await sub.next()).value?.total, 2);
      // Nothing else about those two: the next message is the next flush's state.
      const after = sub.next();
      await t.flush([track("acme", 1)]);
      assert.equal((await after).value?.total, 3);
      await sub.return?.();
    } finally {
      await t.close();
    }
  });

  it("a flush the snapshot already holds is not sent again", async () => {
    const t = await setup();
    try {
      // The batch is in the store before the subscriber reads, but its message is heard after.
      const publish = await t.apply([track("acme", 4)]);
      const sub = await t.feed.stats("acme", "pageview", { year: 2013 });
      assert.equal((await sub.next()).value?.total, 4);
      const after = sub.next();
      await publish();
      // The marker: a later flush's state is the next message, so the repeated one was not sent.
      await t.flush([track("acme", 1)]);
      assert.equal((await after).value?.total, 5);
      assert.deepEqual(t.reads, [1, 1, 1], "the repeated update was computed (and found to be the same state)");
      await sub.return?.();
    } finally {
      await t.close();
    }
  });

  it("increments are filtered by account and event, and each subscriber gets each delta once", async () => {
    const t = await setup();
    try {
      const acme = t.feed.increments({ account: "acme", event: undefined });
      const orders = t.feed.increments({ account: undefined, event: "order" });
      await t.flush([track("acme", 2), funnel("beta", "paid"), track("beta")]);
      assert.deepEqual((await acme.next()).value?.count, 2);
      assert.deepEqual((await orders.next()).value?.account, "beta");
      // Nothing else of that batch for acme: its next increment is the next batch's.
      await t.flush([track("beta", 5), track("acme", 7)]);
      assert.deepEqual((await acme.next()).value?.count, 7);
      await acme.return?.();
      await orders.return?.();
      assert.equal(t.feed.subscribers, 0);
    } finally {
      await t.close();
    }
  });

  it("close() ends every open subscription", async () => {
    const t = await setup();
    const sub = await t.feed.stats("acme", "pageview", { year: 2013 });
    await sub.next();
    const inc = t.feed.increments({ account: undefined, event: undefined });
    await t.close();
    assert.deepEqual(await sub.next(), { value: undefined, done: true });
    assert.deepEqual(await inc.next(), { value: undefined, done: true });
  });
});
