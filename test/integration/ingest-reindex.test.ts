/**
 * `stats-server reindex` over a Redis written by the 2013 service (counters only, no index):
 * it builds the account/event/year index with SCAN, never KEYS, reports what it did, and exits.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TopDocument } from "../gql/graphql.js";
import { query } from "../helpers/graphql.js";
import { runCli } from "../helpers/ingest.js";
import { freePort } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService } from "../helpers/service.js";

describe("stats-server reindex", () => {
  let redis: TestRedis;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  it("indexes accounts, events and years of an old Redis with SCAN, and prints a JSON report", async () => {
    const prefix = redis.prefix();
    const r = redis.client;
    const pipeline = r.pipeline();
    const incr = (key: string, field: string | number) => pipeline.hincrby(`${prefix}${key}`, String(field), 3);
    const expected = new Map<string, Map<string, Set<number>>>();
    const note = (account: string, event: string, year: number) => {
      const events = expected.get(account) ?? new Map<string, Set<number>>();
      expected.set(account, events);
      const years = events.get(event) ?? new Set<number>();
      events.set(event, years);
      years.add(year);
    };
    let counters = 0;
    // 40 accounts x 2 events x 2-3 years, every level the old service wrote: ~2 000 keys, so
    // SCAN takes several pages.
    for (let a = 0; a < 40; a++) {
      const account = `acct-${a}`;
      for (const event of ["pageview", "unique"]) {
        for (const year of a % 2 ? [2012, 2013] : [2011, 2012, 2013]) {
          note(account, event, year);
          incr(`track:${account}:${event}:${year}`, 9);
          incr(`track:${account}:${event}:${year}:9`, 5);
          for (const day of [5, 6]) incr(`track:${account}:${event}:${year}:9:${day}`, 16);
          counters += 4;
        }
      }
    }
    for (const year of [2012, 2013]) {
      incr(`funnels:acct-0:order:${year}`, "paid");
      incr(`funnels:acct-0:order:${year}:9`, "paid");
      incr(`funnels:acct-1:checkout:${year}`, "unknown");
      counters += 3;
    }
    incr("track:weird key", 1);
    incr("track:acct-0:pageview:notanumber", 1);
    incr("funnels:acct-0", 1);
    const junk = 3;
    // Keys of another prefix are not ours and are not even scanned.
    pipeline.hincrby(`other:track:acct-0:pageview:2013`, "9", 1);
    await pipeline.exec();

    await r.config("RESETSTAT");
    const { code, stdout, stderr } = await runCli(["reindex", "--redis", redis.url, "--key-prefix", prefix]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout.trim()) as Record<string, number>;
    // Rankings (docs/contract.md §9): per account-event-year, the year and month 9 (from the year hash), day 5
    // (month hash), and hour 16 of days 5 and 6 (day hashes).
    const ranked = 100 * 2 * 5;
    assert.deepEqual(report, { scanned: counters + junk, indexed: counters, skipped: junk, ranked });

    const members = async (key: string) => (await r.smembers(`${prefix}${key}`)).sort();
    assert.deepEqual(await members("index:track:accounts"), [...expected.keys()].sort());
    for (const [account, events] of expected) {
      assert.deepEqual(await members(`index:track:events:${account}`), [...events.keys()].sort(), account);
      for (const [event, years] of events) {
        assert.deepEqual(
          (await members(`index:track:years:${account}:${event}`)).map(Number),
          [...years].sort(),
          `${account} ${event}`,
        );
      }
    }
    assert.deepEqual(await members("index:funnels:accounts"), ["acct-0", "acct-1"]);
    assert.deepEqual(await members("index:funnels:events:acct-1"), ["checkout"]);
    assert.deepEqual(await members("index:funnels:years:acct-0:order"), ["2012", "2013"]);

    const stats = await r.info("commandstats");
    assert.match(stats, /cmdstat_scan:calls=\d+/);
    assert.doesNotMatch(stats, /cmdstat_keys:/, "reindex must never run KEYS");
    // The counters themselves were left alone.
    assert.equal(await r.hget(`${prefix}track:acct-3:unique:2013:9`, "5"), "3");
  });

  it("builds the rankings from old-layout hashes so top ranks old data; a second run changes nothing", async () => {
    const prefix = redis.prefix();
    const r = redis.client;
    const pipeline = r.pipeline();
    const counts = new Map<string, number>();
    // The old service's layout, rollup included: account i has i+1 pageviews on each of 2013-09-05 16h
    // and 2013-10-02 08h (two accounts tie), none ranked under `all`.
    const accounts = ["k", "j", "i", "h", "g", "f", "e", "d", "c", "b", "a"];
    accounts.forEach((account, i) => {
      const n = i === 1 ? 1 : i + 1;
      counts.set(account, 2 * n);
      for (const acc of [account, "all"]) {
        const key = (p: string) => `${prefix}track:${acc}:pageview:2013${p}`;
        pipeline.hincrby(key(""), "9", n).hincrby(key(""), "10", n);
        pipeline.hincrby(key(":9"), "5", n).hincrby(key(":10"), "2", n);
        pipeline.hincrby(key(":9:5"), "16", n).hincrby(key(":10:2"), "8", n);
      }
    });
    await pipeline.exec();
    const run = async () => {
      const { code, stdout, stderr } = await runCli(["reindex", "--redis", redis.url, "--key-prefix", prefix]);
      assert.equal(code, 0, stderr);
      return JSON.parse(stdout.trim()) as Record<string, number>;
    };
    const snapshot = async () => {
      const out: Record<string, string[]> = {};
      let cursor = "0";
      do {
        const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}top:*`, "COUNT", 1000);
        cursor = next;
        for (const key of keys) out[key.slice(prefix.length)] = await r.zrange(key, 0, -1, "WITHSCORES");
      } while (cursor !== "0");
      return out;
    };
    const first = await run();
    assert.equal(first["ranked"], accounts.length * (3 + 2 + 2));
    const once = await snapshot();
    assert.deepEqual(Object.keys(once).sort(), [
      "top:{pageview}:2013",
      "top:{pageview}:2013:10",
      "top:{pageview}:2013:10:2",
      "top:{pageview}:2013:10:2:8",
      "top:{pageview}:2013:9",
      "top:{pageview}:2013:9:5",
      "top:{pageview}:2013:9:5:16",
    ]);
    await run();
    assert.deepEqual(await snapshot(), once, "a second run sets the same scores, never adds");

    // The ranking a service answers over those old data: exact, ties by name, never `all`.
    const service = await startTestService([
      "--redis",
      redis.url,
      "--key-prefix",
      prefix,
      "--zmq",
      "tcp://127.0.0.1:1",
    ]);
    try {
      const res = await query(service.url, TopDocument, {
        event: "pageview",
        granularity: "MONTH",
        from: "2013-01-01T00:00:00Z",
        to: "2014-01-01T00:00:00Z",
        first: 4,
      });
      assert.equal(res.body.errors, undefined, JSON.stringify(res.body.errors));
      const want = [...counts]
        .map(([account, count]) => ({ account, count }))
        .sort((x, y) => y.count - x.count || (x.account < y.account ? -1 : 1));
      const total = want.reduce((n, x) => n + x.count, 0);
      assert.deepEqual(res.body.data?.top, {
        event: "pageview",
        granularity: "MONTH",
        timeZone: "UTC",
        from: "2013-01-01T00:00:00.000Z",
        to: "2014-01-01T00:00:00.000Z",
        total,
        accountCount: accounts.length,
        accounts: want.slice(0, 4),
        others: total - want.slice(0, 4).reduce((n, x) => n + x.count, 0),
      });
    } finally {
      await service.stop();
    }
  });

  it("exits non-zero with a clear message when Redis cannot be reached", async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await runCli(["reindex", "--redis", `redis://127.0.0.1:${port}`], 30_000);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.match(stderr, /reindex failed/);
  });
});
