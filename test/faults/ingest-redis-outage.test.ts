/**
 * Redis is SIGKILLed for 10 s in the middle of a 100,000-event stream, then restarted with its
 * append-only file. The executable keeps receiving throughout; what it holds in memory grows with
 * distinct counters (accounts × minutes), not with events; /readyz says the store is down; and once
 * Redis is back every event is applied exactly once. No unhandled rejection, no crash.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { metric, rankedTotals, type ServerProcess, spawnServer, trackTotal } from "../helpers/ingest.js";
import { eventually, sleep } from "../helpers/ports.js";
import { type ChildPublisher, EXACT_HWM, spawnChildPublisher } from "../helpers/publisher-child.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

const EVENTS = 100_000;
const RATE = 5_000;
const OUTAGE_MS = 10_000;
const ACCOUNTS = ["acme", "beta", "gamma", "delta", "eps"];

/** Resident and peak resident memory of a process, in bytes, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

describe("faults: Redis down for 10 s mid-stream", () => {
  let redis: TestRedis;
  let pub: ChildPublisher;
  let server: ServerProcess;
  let prefix: string;

  before(async () => {
    redis = await startRedis({ appendonly: true });
    pub = await spawnChildPublisher(undefined, { sendHighWaterMark: EXACT_HWM });
    prefix = redis.prefix();
    server = await spawnServer(["--redis", redis.url, "--zmq", pub.endpoint, "--key-prefix", prefix]);
    await pub.subscribedAfter(0);
    await eventually(async () => (await fetch(`${server.url}/readyz`)).status === 200, "service ready");
  });
  after(async () => {
    await pub.kill();
    await server.stop("SIGKILL");
    await redis.stop();
  });

  it(`counts ${EVENTS} events exactly through the outage, with bounded memory and /readyz 503 meanwhile`, async (t) => {
    const m = (name: string) => metric(server.url, name);
    const pid = server.proc.pid as number;
    const streaming = pub.stream({ accounts: ACCOUNTS, rate: RATE, count: EVENTS });

    await eventually(async () => (await m("stats_events_applied_total")) >= 3 * RATE, "3 s of events applied");
    const baseline = memoryOf(pid);
    const killedAt = Date.now();
    await redis.kill();

    // During the outage: sample memory and the backlog; /readyz must name the store as down.
    let readyzSeen: { status: number; body: unknown } | undefined;
    let maxDeltas = 0;
    let maxEvents = 0;
    let peakRss = baseline.rss;
    const minutes = new Set<number>();
    while (Date.now() - killedAt < OUTAGE_MS) {
      minutes.add(Math.floor(Date.now() / 60_000));
      maxDeltas = Math.max(maxDeltas, await m("stats_pending_deltas"));
      maxEvents = Math.max(maxEvents, await m("stats_pending_events"));
      peakRss = Math.max(peakRss, memoryOf(pid).rss);
      if (!readyzSeen && Date.now() - killedAt > 1_000) {
        const res = await fetch(`${server.url}/readyz`);
        readyzSeen = { status: res.status, body: await res.json() };
      }
      await sleep(200);
    }
    const receivedDuringOutage = await m("stats_events_received_total");
    await redis.restart();
    const restartedAt = Date.now();
    await eventually(async () => (await fetch(`${server.url}/readyz`)).status === 200, "/readyz 200", 15_000);
    const readyMs = Date.now() - restartedAt;
    await eventually(async () => (await m("stats_pending_events")) < RATE, "the backlog drained", 15_000);
    const drainMs = Date.now() - restartedAt;

    const result = await streaming;
    assert.equal(result.sent, EVENTS);
    await eventually(
      async () => (await m("stats_events_applied_total")) === EVENTS,
      `all ${EVENTS} events applied`,
      20_000,
    );

    t.diagnostic(
      `outage ${OUTAGE_MS} ms: backlog peaked at ${maxEvents} events held as ${maxDeltas} counters; ` +
        `RSS ${mb(baseline.rss)} before, ${mb(peakRss)} at most during the outage (${mb(peakRss - baseline.rss)} more)`,
    );
    t.diagnostic(`Redis restarted: /readyz 200 after ${readyMs} ms, backlog applied within ${drainMs} ms`);

    // Kept receiving: the backlog is the events of the outage (5 000/s for 10 s).
    assert.ok(receivedDuringOutage > 3 * RATE + 0.8 * (OUTAGE_MS / 1000) * RATE, `received ${receivedDuringOutage}`);
    assert.ok(maxEvents >= 0.8 * (OUTAGE_MS / 1000) * RATE, `pending events grew to ${maxEvents}`);
    // ...held as one counter per (account or `all`, minute): a handful, however many events.
    const bound = (ACCOUNTS.length + 1) * (minutes.size + 1);
    assert.ok(maxDeltas > 0 && maxDeltas <= bound, `pending counters ${maxDeltas} (bound ${bound})`);
    assert.ok(peakRss - baseline.rss < 16 * 2 ** 20, `RSS grew ${mb(peakRss - baseline.rss)} during the outage`);

    // The shard registry cannot be read either: its view is the last one, marked stale.
    const { shards, ...rest } = (readyzSeen?.body ?? {}) as {
      shards?: { stale?: boolean; alive?: string[] };
      status?: string;
      checks?: unknown;
      reasons?: Record<string, string>;
    };
    assert.equal(readyzSeen?.status, 503);
    assert.equal(rest.status, "not ready");
    assert.deepEqual(rest.checks, { store: "down", event_bus: "ok", flush: "down", shards: "ok" });
    assert.match(rest.reasons?.["store"] ?? "", /^PING failed/);
    assert.match(rest.reasons?.["flush"] ?? "", /flushes failing for \d+ s \(store unreachable/);
    assert.deepEqual([shards?.stale, shards?.alive], [true, ["0/1"]]);

    // Exact: every event once, none lost with the killed Redis, none applied twice on its return.
    assert.equal(await m("stats_events_received_total"), EVENTS);
    for (const account of ACCOUNTS) {
      assert.equal(await trackTotal(redis.client, prefix, account), EVENTS / ACCOUNTS.length, account);
    }
    assert.equal(await trackTotal(redis.client, prefix, "all"), EVENTS, "all");
    // The rankings went in the same guarded flushes: exactly once too, at every level.
    for (const account of ACCOUNTS) {
      const n = EVENTS / ACCOUNTS.length;
      assert.deepEqual(await rankedTotals(redis.client, prefix, account), [n, n, n, n, n], `${account} ranked`);
    }
    assert.equal(await m("stats_pending_events"), 0);
    assert.ok((await m("stats_flush_failures_total")) > 0, "flushes failed while Redis was down");
    assert.equal(await m("stats_redis_up"), 1);

    // Still the same process, and nothing went unhandled.
    assert.equal(server.proc.exitCode, null);
    assert.equal(server.proc.signalCode, null);
    assert.doesNotMatch(server.stderr(), /unhandled|fatal/i);
  });
});
