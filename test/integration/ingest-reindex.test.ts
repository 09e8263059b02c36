/**
 * `stats-server reindex` over a Redis written by the 2013 service (counters only, no index):
 * it builds the account/event/year index with SCAN, never KEYS, reports what it did, and exits.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/ingest.js";
import { freePort } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

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
    assert.deepEqual(report, { scanned: counters + junk, indexed: counters, skipped: junk });

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

  it("exits non-zero with a clear message when Redis cannot be reached", async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await runCli(["reindex", "--redis", `redis://127.0.0.1:${port}`], 30_000);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.match(stderr, /reindex failed/);
  });
});
