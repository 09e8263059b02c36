/**
 * A large fuzz of the event stream against the executable: 20,000 seeded messages mixing random
 * bytes, truncated and trailing-garbage JSON, wrong types, names with `:`, `*`, `{`, spaces and
 * unicode, multi-frame junk, 64 KiB boundary cases and 1 MB frames, interleaved with valid events
 * in every accepted form. Valid counts are exact; every bad message is counted under the reason
 * the test generated it for; the process neither crashes nor stalls.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { type Expected, generateCases, prng } from "../helpers/fuzz-cases.js";
import { metric, type ServerProcess, spawnServer, trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { metricValue, wiring } from "../helpers/service.js";
import { startPublisher, type TestPublisher } from "../helpers/zmq.js";

const SEED = Number(process.env["FUZZ_SEED"] ?? 19700101);
const MESSAGES = 20_000;
const MEGABYTE_FRAMES = 9;

/** Status → count of `funnels:{account}:{event}:{Y}`, summed over the years in the index. */
async function funnelTotals(client: Redis, prefix: string, account: string, event = "order") {
  const out = new Map<string, number>();
  for (const y of await client.smembers(`${prefix}index:funnels:years:${account}:${event}`)) {
    for (const [status, n] of Object.entries(await client.hgetall(`${prefix}funnels:${account}:${event}:${y}`))) {
      out.set(status, (out.get(status) ?? 0) + Number(n));
    }
  }
  return out;
}

const bump = <K>(map: Map<K, number>, key: K, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

describe("faults: a 20 000-message fuzz of the event stream", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let server: ServerProcess;
  let prefix: string;

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    prefix = redis.prefix();
    server = await spawnServer(wiring(redis.url, pub.endpoint, prefix));
    await pub.waitForSubscribers();
  });
  after(async () => {
    await server.stop("SIGKILL");
    pub.close();
    await redis.stop();
  });

  it(`counts every valid event and every drop by its reason (seed ${SEED})`, async (t) => {
    const cases = generateCases(prng(SEED), MESSAGES, { megabyteFrames: MEGABYTE_FRAMES });
    const drops = new Map<string, number>();
    const pageviews = new Map<string, number>();
    const uniques = new Map<string, number>();
    const orders = new Map<string, Map<string, number>>();
    const labels = new Map<string, number>();
    let ignored = 0;
    let bytes = 0;
    const tally = (e: Expected) => {
      if (e.kind === "dropped") bump(drops, e.reason);
      else if (e.kind === "ignored") ignored++;
      else if (e.kind === "pageview") {
        for (const a of [e.account, "all"]) {
          bump(pageviews, a);
          if (e.unique) bump(uniques, a);
        }
      } else {
        for (const a of [e.account, "all"]) {
          const statuses = orders.get(a) ?? new Map<string, number>();
          orders.set(a, bump(statuses, e.status));
        }
      }
    };
    for (const c of cases) {
      tally(c.expected);
      bump(labels, c.label);
      const parts = Array.isArray(c.message) ? c.message : [c.message];
      for (const p of parts) bytes += Buffer.byteLength(p);
      await pub.send(c.message);
    }
    const dropped = [...drops.values()].reduce((a, b) => a + b, 0);
    const valid = cases.length - dropped - ignored;

    await eventually(
      async () => (await metric(server.url, "stats_events_received_total")) === cases.length,
      `all ${cases.length} messages received`,
      60_000,
    );
    await eventually(
      async () => (await metric(server.url, "stats_events_applied_total")) === valid,
      `${valid} valid events applied`,
      20_000,
    );
    t.diagnostic(
      `${cases.length} messages (${(bytes / 2 ** 20).toFixed(1)} MB, ${MEGABYTE_FRAMES} of 1 MB, ` +
        `${labels.size} kinds): ${valid} valid, ${ignored} untracked, ${dropped} dropped as ` +
        [...drops].map(([r, n]) => `${r} ${n}`).join(", "),
    );

    const text = await (await fetch(`${server.url}/metrics`)).text();
    for (const [reason, n] of drops) {
      assert.equal(metricValue(text, `stats_events_dropped_total{reason="${reason}"}`), n, reason);
    }
    assert.equal(metricValue(text, 'stats_events_dropped_total{reason="internal_error"}'), 0);
    assert.equal(metricValue(text, 'stats_events_ignored_total{reason="untracked_type"}'), ignored);
    assert.equal(metricValue(text, "stats_pending_events"), 0);

    for (const [account, n] of pageviews) assert.equal(await trackTotal(redis.client, prefix, account), n, account);
    for (const [account, n] of uniques) {
      assert.equal(await trackTotal(redis.client, prefix, account, "unique"), n, `${account} unique`);
    }
    for (const [account, statuses] of orders) {
      assert.deepEqual(await funnelTotals(redis.client, prefix, account), statuses, `${account} orders`);
    }
    // Nothing was written under a name that should have been refused.
    const accounts = await redis.client.smembers(`${prefix}index:track:accounts`);
    assert.deepEqual(accounts.sort(), [...pageviews.keys()].sort());

    // Still the same process, ready, and its log holds no megabyte payloads.
    assert.equal(server.proc.exitCode, null);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    assert.ok(server.stderr().length < 200_000, `log is ${server.stderr().length} bytes`);
  });
});
