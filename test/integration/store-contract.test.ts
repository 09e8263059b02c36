/**
 * The StatsStore contract, run against both stores: the Redis store over a real redis-server and
 * the embedded memory store. Whatever one store does, the other must do the same.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import type { Batch, Delta, FunnelDelta, StatsStore, TopPeriod, TrackDelta } from "../../src/domain/types.js";
import type { Backend } from "../../src/store/backend.js";
import { createKeySpace } from "../../src/store/keys.js";
import { createMemoryBackend } from "../../src/store/memory-backend.js";
import { createRedisBackend } from "../../src/store/redis-backend.js";
import { createStatsStore, type StatsStoreOptions } from "../../src/store/stats-store.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

/** What each store's run of the contract needs: isolated key spaces and a clock. */
interface Harness {
  /** A key space no other test uses. */
  space(): Space;
  /**
   * Moves the stores' clock `seconds` on: the listing cache ages by it, and every key's expiry
   * comes that much nearer (memory: its clock; Redis: each TTL shortened, as if the time had passed).
   */
  elapse(seconds: number): Promise<void>;
  dispose(): Promise<void>;
}

interface Space {
  /** Builds a store over this space's backend (wrapped by `wrap`, to inject a failure). */
  store(opts?: Partial<StatsStoreOptions>, wrap?: (b: Backend) => Backend): StatsStore;
  /** HINCRBY a key directly, as the old service did: no index, no guard. `key` is without prefix. */
  rawIncr(key: string, field: string, by: number): Promise<void>;
  /** Keys (without prefix) matching a glob, found through the backend's SCAN. */
  scan(glob: string): Promise<string[]>;
}

const track = (account: string, event: string, at: Partial<TrackDelta> = {}, count = 1): TrackDelta => ({
  kind: "track",
  account,
  event,
  year: 2013,
  month: 9,
  day: 5,
  hour: 16,
  minute: 7,
  count,
  ...at,
});

const funnel = (account: string, status: string, at: Partial<FunnelDelta> = {}, count = 1): FunnelDelta => ({
  kind: "funnels",
  account,
  event: "order",
  status,
  year: 2013,
  month: 9,
  day: 5,
  hour: 16,
  count,
  ...at,
});

const batch = (deltas: Delta[], id = randomUUID()): Batch => ({ id, deltas, events: deltas.length });
const obj = (m: Map<string, number>) => Object.fromEntries(m);

function contract(name: string, setup: () => Promise<Harness>) {
  describe(`StatsStore contract: ${name}`, () => {
    let h: Harness;
    const stores: StatsStore[] = [];
    /** A store in a fresh key space (or in `space`, to share one); closed after the suite. */
    const open = (opts?: Partial<StatsStoreOptions>, wrap?: (b: Backend) => Backend, space = h.space()) => {
      const s = space.store(opts, wrap);
      stores.push(s);
      return s;
    };

    before(async () => {
      h = await setup();
    });
    after(async () => {
      for (const s of stores) await s.close();
      await h.dispose();
    });

    it("applies a batch as sums at every level, and reads each level back", async () => {
      const store = open();
      await store.apply(
        batch([
          track("acme", "pageview", {}, 3),
          track("acme", "pageview", { minute: 8 }, 2),
          track("acme", "pageview", { hour: 17, minute: 0 }),
          track("acme", "pageview", { day: 6, hour: 0, minute: 0 }),
          track("acme", "pageview", { month: 10, day: 1, hour: 0, minute: 0 }),
          funnel("acme", "checkout", {}, 2),
          funnel("acme", "closed"),
          funnel("acme", "checkout", { day: 6 }),
          funnel("acme", "closed", { hour: 17 }, 4),
        ]),
      );
      await store.apply(batch([track("acme", "pageview", {}, 10), funnel("acme", "closed", { month: 10, day: 1 })]));

      const p = (period: { year: number; month?: number; day?: number; hour?: number }) =>
        store.counts("track", "acme", "pageview", period).then(obj);
      assert.deepEqual(await p({ year: 2013 }), { "9": 17, "10": 1 });
      assert.deepEqual(await p({ year: 2013, month: 9 }), { "5": 16, "6": 1 });
      assert.deepEqual(await p({ year: 2013, month: 9, day: 5 }), { "16": 15, "17": 1 });
      assert.deepEqual(await p({ year: 2013, month: 9, day: 5, hour: 16 }), { "7": 13, "8": 2 });

      const f = (period: { year: number; month?: number; day?: number; hour?: number }) =>
        store.counts("funnels", "acme", "order", period).then(obj);
      assert.deepEqual(await f({ year: 2013 }), { checkout: 3, closed: 6 });
      assert.deepEqual(await f({ year: 2013, month: 9 }), { checkout: 3, closed: 5 });
      assert.deepEqual(await f({ year: 2013, month: 9, day: 5 }), { checkout: 2, closed: 5 });
      assert.deepEqual(await f({ year: 2013, month: 10, day: 1 }), { closed: 1 });
      // The funnel hour level (docs/contract.md §7): statuses per UTC hour.
      assert.deepEqual(await f({ year: 2013, month: 9, day: 5, hour: 16 }), { checkout: 2, closed: 1 });
      assert.deepEqual(await f({ year: 2013, month: 9, day: 5, hour: 17 }), { closed: 4 });
      assert.deepEqual(await f({ year: 2013, month: 9, day: 6, hour: 16 }), { checkout: 1 });

      // Several periods in one round trip, in the order asked; a period without data is empty.
      const many = await store.countsMany([
        { kind: "track", account: "acme", event: "pageview", period: { year: 2013, month: 10 } },
        { kind: "track", account: "nobody", event: "pageview", period: { year: 2013 } },
        { kind: "funnels", account: "acme", event: "order", period: { year: 2013, month: 9, day: 6 } },
      ]);
      assert.deepEqual(many.map(obj), [{ "1": 1 }, {}, { checkout: 1 }]);
    });

    it("re-applying a batch with the same id is a no-op", async () => {
      const store = open();
      const b = batch([track("once", "pageview", {}, 4), funnel("once", "paid")]);
      await store.apply(b);
      await store.apply(b);
      await store.apply({ ...b, deltas: b.deltas.map((d) => ({ ...d })) });
      assert.deepEqual(obj(await store.counts("track", "once", "pageview", { year: 2013 })), { "9": 4 });
      assert.deepEqual(obj(await store.counts("funnels", "once", "order", { year: 2013 })), { paid: 1 });
      // A different id with the same deltas is a new batch and counts again.
      await store.apply({ ...b, id: randomUUID() });
      assert.deepEqual(obj(await store.counts("track", "once", "pageview", { year: 2013 })), { "9": 8 });
    });

    it("lists accounts, events and years from the index, sorted", async () => {
      const store = open();
      await store.apply(
        batch([
          track("zeta", "pageview"),
          track("alpha", "pageview", { year: 2014 }),
          track("alpha", "unique", { year: 2012 }),
          track("alpha", "pageview", { year: 2009 }),
          funnel("alpha", "paid", { year: 2011 }),
        ]),
      );
      assert.deepEqual(await store.accounts("track"), ["alpha", "zeta"]);
      assert.deepEqual(await store.events("track", "alpha"), ["pageview", "unique"]);
      assert.deepEqual(await store.years("track", "alpha", "pageview"), [2009, 2014]);
      assert.deepEqual(await store.years("funnels", "alpha", "order"), [2011]);
      assert.deepEqual(await store.events("funnels", "zeta"), []);
      assert.deepEqual(await store.years("track", "nobody", "pageview"), []);
    });

    it("reindex builds accounts, events and years over keys of the old layout, skipping junk", async () => {
      // A Redis written by the 2013 service: counters only, no index.
      const space = h.space();
      const store = open({}, undefined, space);
      const counters = [
        "track:old1:pageview:2012",
        "track:old1:pageview:2012:3",
        "track:old1:pageview:2012:3:4",
        "track:old1:pageview:2013:9:5:16",
        "track:old1:unique:2012",
        "track:old2:pageview:2011",
        "track:all:pageview:2011",
        "funnels:old1:order:2010",
        "funnels:old1:order:2010:1:2",
        "funnels:old1:order:2009:1:2:23",
      ];
      const junk = [
        "track:weird key",
        "track:a:b:notanumber",
        "track:a:b",
        "track:a:b:2013:1:2:3:4",
        "funnels:a:b:2013:1:2:3:4",
        "track:bad*name:pageview:2013",
        "track:a:b:02013",
      ];
      for (const key of [...counters, ...junk]) await space.rawIncr(key, "1", 1);
      assert.deepEqual(await store.accounts("track"), []);

      const report = await store.reindex();
      assert.deepEqual(report, {
        scanned: counters.length + junk.length,
        indexed: counters.length,
        skipped: junk.length,
        // The minute hash of 2013-09-05 16h ranks only within the retention of each store's clock.
        ranked: report.ranked,
      });
      assert.ok(report.ranked >= 5, `${report.ranked} ranking entries`);
      const year = (y: number) => ({ period: { year: y }, weight: 1 as const });
      const top2012 = await store.top({ event: "pageview", sets: [year(2012)], first: 10, totals: [] });
      assert.deepEqual(top2012.accounts, [{ account: "old1", count: 1 }]);
      const top2011 = await store.top({ event: "pageview", sets: [year(2011)], first: 10, totals: [{ year: 2011 }] });
      assert.deepEqual(top2011.accounts, [{ account: "old2", count: 1 }], "the rollup is never ranked");
      assert.deepEqual(top2011.totals.map(obj), [{ "1": 1 }]);
      assert.deepEqual(await store.accounts("track"), ["all", "old1", "old2"]);
      assert.deepEqual(await store.events("track", "old1"), ["pageview", "unique"]);
      assert.deepEqual(await store.years("track", "old1", "pageview"), [2012, 2013]);
      assert.deepEqual(await store.years("track", "old2", "pageview"), [2011]);
      assert.deepEqual(await store.accounts("funnels"), ["old1"]);
      assert.deepEqual(await store.years("funnels", "old1", "order"), [2009, 2010]);
      // The data itself is untouched, and a second run is idempotent.
      assert.deepEqual(obj(await store.counts("track", "old1", "pageview", { year: 2012 })), { "1": 1 });
      assert.deepEqual(await store.reindex(), report);
      assert.deepEqual(await store.accounts("track"), ["all", "old1", "old2"]);
    });

    it("ranks an event's accounts over weighted sets, exactly once, never the rollup; minute sets expire", async () => {
      const store = open({ minuteRetentionSeconds: 2 });
      const deltas = [
        track("acme", "pageview", {}, 3),
        track("beta", "pageview", { minute: 8 }, 3),
        track("zed", "pageview", { minute: 8 }),
        track("all", "pageview", {}, 3),
        track("all", "pageview", { minute: 8 }, 4),
        track("acme", "unique", {}, 1),
        funnel("acme", "paid"),
      ];
      const b = batch(deltas);
      await store.apply(b);
      await store.apply(b);
      const hour = { year: 2013, month: 9, day: 5, hour: 16 };
      const at = (period: TopPeriod, weight: 1 | -1 = 1) => ({ period, weight });
      const ranked = await store.top({
        event: "pageview",
        sets: [at(hour)],
        first: 2,
        totals: [{ year: 2013, month: 9, day: 5 }],
      });
      assert.deepEqual(ranked, {
        accountCount: 3,
        accounts: [
          { account: "acme", count: 3 },
          { account: "beta", count: 3 },
        ],
        totals: [new Map([["16", 7]])],
      });
      // The hour minus its minute 7: acme's count is 0 there, and not counted.
      const rest = await store.top({
        event: "pageview",
        sets: [at(hour), at({ ...hour, minute: 7 }, -1)],
        first: 10,
        totals: [],
      });
      assert.deepEqual(rest.accounts, [
        { account: "beta", count: 3 },
        { account: "zed", count: 1 },
      ]);
      assert.equal(rest.accountCount, 2);
      const unique = await store.top({ event: "unique", sets: [at({ year: 2013 })], first: 10, totals: [] });
      assert.deepEqual(unique.accounts, [{ account: "acme", count: 1 }]);
      const none = await store.top({ event: "order", sets: [at({ year: 2013 })], first: 10, totals: [] });
      assert.deepEqual(none, { accountCount: 0, accounts: [], totals: [] }, "funnel events are not ranked");
      await h.elapse(2.5);
      const minute = await store.top({ event: "pageview", sets: [at({ ...hour, minute: 8 })], first: 10, totals: [] });
      assert.equal(minute.accountCount, 0, "minute sets expire with the minute keys");
      const kept = await store.top({ event: "pageview", sets: [at(hour)], first: 10, totals: [] });
      assert.equal(kept.accountCount, 3, "hour sets are kept");
    });

    it("minute keys expire after the retention since their last write; every other key is kept", async () => {
      const store = open({ minuteRetentionSeconds: 2 });
      const minute = { year: 2013, month: 9, day: 5, hour: 16 };
      const minuteCounts = async () => obj(await store.counts("track", "ttl", "pageview", minute));
      await store.apply(batch([track("ttl", "pageview"), funnel("ttl", "paid")]));
      await h.elapse(1);
      assert.deepEqual(await minuteCounts(), { "7": 1 });
      // A later write to the same minute key pushes its expiry out again.
      await store.apply(batch([track("ttl", "pageview")]));
      await h.elapse(1.3);
      assert.deepEqual(await minuteCounts(), { "7": 2 }, "expired 2 s after its first write, not its last");
      await h.elapse(1);
      assert.deepEqual(await minuteCounts(), {});
      assert.deepEqual(obj(await store.counts("track", "ttl", "pageview", { year: 2013, month: 9, day: 5 })), {
        "16": 2,
      });
      assert.deepEqual(obj(await store.counts("track", "ttl", "pageview", { year: 2013 })), { "9": 2 });
      assert.deepEqual(obj(await store.counts("funnels", "ttl", "order", { year: 2013, month: 9, day: 5 })), {
        paid: 1,
      });
      assert.deepEqual(obj(await store.counts("funnels", "ttl", "order", { year: 2013, month: 9, day: 5, hour: 16 })), {
        paid: 1,
      });
    });

    it("splits a large batch into guarded chunks that apply exactly once across retries", async () => {
      const prefixFree = "chunk";
      // 300 accounts x 2 minutes: 600 deltas, each writing 4 hash keys + index members.
      const deltas: Delta[] = [];
      for (let i = 0; i < 300; i++) {
        deltas.push(
          track(`${prefixFree}${i}`, "pageview", {}, 2),
          track(`${prefixFree}${i}`, "pageview", { minute: 8 }),
        );
      }
      const b = batch(deltas);
      const space = h.space();

      // The store fails after a few chunks, as if Redis went away mid-batch.
      let calls = 0;
      const failAfter = 3;
      const flaky = open(
        { maxArgsPerChunk: 200 },
        (backend) => ({
          ...backend,
          applyOnce(...args) {
            if (++calls > failAfter) return Promise.reject(new Error("connection lost"));
            return backend.applyOnce(...args);
          },
        }),
        space,
      );
      await assert.rejects(flaky.apply(b), /connection lost/);
      const guardsAfterFailure = await space.scan(`applied:${b.id}:*`);
      assert.equal(guardsAfterFailure.length, failAfter);

      // The retry (same id) applies only what is missing; a third attempt changes nothing.
      const store = open({ maxArgsPerChunk: 200 }, undefined, space);
      await store.apply(b);
      await store.apply(b);
      const guards = await space.scan(`applied:${b.id}:*`);
      assert.ok(guards.length > failAfter, `${guards.length} chunks`);

      for (const i of [0, 150, 299]) {
        const account = `${prefixFree}${i}`;
        assert.deepEqual(
          obj(await store.counts("track", account, "pageview", { year: 2013, month: 9, day: 5, hour: 16 })),
          { "7": 2, "8": 1 },
          account,
        );
        assert.deepEqual(obj(await store.counts("track", account, "pageview", { year: 2013 })), { "9": 3 });
      }
      assert.equal((await store.accounts("track")).length, 300);
    });

    it("applies a batch touching more accounts than a Lua unpack can hold (10 000)", async () => {
      const store = open();
      const deltas = Array.from({ length: 10_000 }, (_, i) => track(`many${i}`, "pageview", { year: 2001 }));
      await store.apply(batch(deltas));
      assert.equal((await store.accounts("track")).length, 10_000);
      assert.deepEqual(obj(await store.counts("track", "many9999", "pageview", { year: 2001 })), { "9": 1 });
    });

    it("applies one batch of any size (70 000 statuses of one funnel, 20 000 new accounts), once", async () => {
      const store = open();
      const deltas: Delta[] = Array.from({ length: 70_000 }, (_, i) => funnel("all", `s${i}`, { year: 2002 }));
      for (let i = 0; i < 20_000; i++) deltas.push(track(`new${i}`, "pageview", { year: 2002 }));
      const b = batch(deltas);
      await store.apply(b);
      await store.apply(b); // a retry after a lost reply: every chunk's guard makes it a no-op
      const statuses = await store.counts("funnels", "all", "order", { year: 2002 });
      assert.equal(statuses.size, 70_000);
      assert.ok([...statuses.values()].every((n) => n === 1));
      assert.equal((await store.accounts("track")).length, 20_000);
      assert.deepEqual(obj(await store.counts("track", "new19999", "pageview", { year: 2002 })), { "9": 1 });
      const c = await store.cardinality(2002);
      assert.deepEqual(c.accounts, { track: 20_000, funnels: 1 });
      assert.deepEqual(c.statuses, [{ event: "order", statuses: 70_000 }]);
    });

    it("a listing read again shows a name this store just added, and another store's within a second", async () => {
      const shared = h.space();
      const store = open(undefined, undefined, shared);
      const other = open(undefined, undefined, shared);
      await store.apply(batch([track("first", "pageview")]));
      assert.deepEqual(await store.accounts("track"), ["first"]);
      await store.apply(batch([track("second", "pageview")]));
      assert.deepEqual(await store.accounts("track"), ["first", "second"]);
      await other.apply(batch([track("third", "pageview")]));
      assert.deepEqual(await store.accounts("track"), ["first", "second"], "the listing is reused");
      await h.elapse(1.001);
      assert.deepEqual(await store.accounts("track"), ["first", "second", "third"]);
    });
  });
}

contract("redis", async () => {
  const redis: TestRedis = await startRedis();
  const clients: Redis[] = [];
  let clock = Date.now();
  return {
    space() {
      const prefix = redis.prefix();
      const keys = createKeySpace(prefix);
      return {
        store(opts, wrap = (b) => b) {
          const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
          client.on("error", () => {});
          clients.push(client);
          return createStatsStore(wrap(createRedisBackend(client)), keys, {
            minuteRetentionSeconds: 3600,
            now: () => clock,
            ...opts,
          });
        },
        async rawIncr(key, field, by) {
          await redis.client.hincrby(`${prefix}${key}`, field, by);
        },
        async scan(glob) {
          const found: string[] = [];
          let cursor = "0";
          do {
            const [next, page] = await redis.client.scan(cursor, "MATCH", `${prefix}${glob}`, "COUNT", 1000);
            cursor = next;
            found.push(...page.map((k) => k.slice(prefix.length)));
          } while (cursor !== "0");
          return found;
        },
      };
    },
    async elapse(seconds) {
      const ms = Math.round(seconds * 1000);
      clock += ms;
      // Redis keeps its own clock: bring every expiry `ms` nearer (a key whose time is up goes).
      let cursor = "0";
      do {
        const [next, keys] = await redis.client.scan(cursor, "COUNT", 1000);
        cursor = next;
        const ttls = await Promise.all(keys.map((k) => redis.client.pttl(k)));
        await Promise.all(
          keys.map((k, i) => {
            const ttl = ttls[i] ?? -1;
            if (ttl < 0) return undefined;
            return ttl > ms ? redis.client.pexpire(k, ttl - ms) : redis.client.del(k);
          }),
        );
      } while (cursor !== "0");
    },
    async dispose() {
      for (const c of clients) c.disconnect();
      await redis.stop();
    },
  };
});

contract("memory", async () => {
  let clock = Date.UTC(2013, 8, 5, 16, 7);
  return {
    space() {
      // One embedded store per space, all on the same clock.
      const backend = createMemoryBackend(() => clock);
      const keys = createKeySpace("");
      return {
        store: (opts, wrap = (b) => b) =>
          createStatsStore(wrap(backend), keys, { minuteRetentionSeconds: 3600, now: () => clock, ...opts }),
        async rawIncr(key, field, by) {
          const write = { type: "hash" as const, key, fields: new Map([[field, by]]), expire: false };
          await backend.applyOnce(`raw:${randomUUID()}`, [write], { guard: 60, minute: 60 });
        },
        async scan(glob) {
          const found: string[] = [];
          await backend.scan(glob, async (page) => {
            found.push(...page);
          });
          return found;
        },
      };
    },
    async elapse(seconds) {
      clock += seconds * 1000;
    },
    dispose: async () => {},
  };
});
