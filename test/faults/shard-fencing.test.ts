/**
 * Fencing, on real processes and a real Redis: three ingest processes started `--shard 0/2`,
 * `1/2` and `1/2` again. Before, both `1/2` processes counted: 2,000 events were counted 3,000
 * times while /readyz said 503 and the log said so. Now the second `1/2` finds the shard's lease
 * held and waits as a standby — subscribed to nothing, counting nothing, ready, and saying
 * "standby" in /readyz and in its log — so 2,000 events are counted exactly 2,000 times. When the
 * owner of `1/2` is SIGKILLed (after everything it received was written), its lease lapses after
 * two heartbeats, the standby takes it over and subscribes, and the next 2,000 are counted once
 * too: nothing lost, nothing doubled. Then that owner is frozen (SIGSTOP) while events arrive for it,
 * a new standby takes the lapsed lease, and the frozen one is resumed: it reads what waited in its
 * socket, but its flush is refused (the lease is another's) — dropped, counted as fenced, and never
 * written — and it steps down to standby.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ownsAccount } from "../../src/domain/shard.js";
import { logLines, metric, type ServerProcess, spawnServer, trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

const HEARTBEAT_MS = 500;
const ACCOUNTS = Array.from({ length: 40 }, (_, i) => `acct${i}`);

interface Readyz {
  status: number;
  body: {
    lease?: { shard: string; state: string; owner: string | null };
    warnings?: Record<string, string>;
    shards: { self: { instance: string; shard: string; state: string } | null };
  };
}
const readyz = async (p: ServerProcess): Promise<Readyz> => {
  const res = await fetch(`${p.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Readyz["body"] };
};
const leaseState = async (p: ServerProcess) => (await readyz(p)).body.lease?.state;
/** An account of shard i of 2 (for the markers that show a shard has written all before them). */
const accountOf = (index: number, tag: string) => {
  for (let i = 0; ; i++) if (ownsAccount({ index, count: 2 }, `${tag}${i}`)) return `${tag}${i}`;
};

describe("faults: three ingest processes on shards 0/2, 1/2, 1/2", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let prefix: string;
  const procs: ServerProcess[] = [];
  let zero: ServerProcess;
  let owner: ServerProcess;
  let standby: ServerProcess;

  const spawn = async (shard: string) => {
    const p = await spawnServer(
      [
        "--redis",
        redis.url,
        "--zmq",
        pub.endpoint,
        "--key-prefix",
        prefix,
        "--role",
        "ingest",
        "--shard",
        shard,
        "--shard-heartbeat",
        `${HEARTBEAT_MS}ms`,
      ],
      { startWithinMs: 60_000 },
    );
    procs.push(p);
    return p;
  };

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    prefix = redis.prefix();
    zero = await spawn("0/2");
    owner = await spawn("1/2");
    await eventually(async () => (await leaseState(owner)) === "owner", "the first 1/2 owns its shard", 30_000);
    standby = await spawn("1/2");
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.stop("SIGKILL")));
    pub?.close();
    await redis?.stop();
  });

  const total = () => trackTotal(redis.client, prefix, "all");
  /** Sends `n` events over the accounts, then one marker per shard; resolves once both markers are counted. */
  const sendAndSettle = async (n: number, round: string) => {
    for (let i = 0; i < n; i++) await pub.send(pageview(ACCOUNTS[i % ACCOUNTS.length] as string));
    const markers = [accountOf(0, `${round}m`), accountOf(1, `${round}m`)];
    for (const m of markers) await pub.send(pageview(m));
    for (const m of markers) {
      await eventually(async () => (await trackTotal(redis.client, prefix, m)) >= 1, `marker ${m} counted`, 30_000);
    }
  };

  it("the second 1/2 is a standby: ready, says so in /readyz and its log, subscribes to nothing", async () => {
    await eventually(async () => (await leaseState(standby)) === "standby", "a standby", 30_000);
    const r = await readyz(standby);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.warnings?.["lease"] ?? "", /standby for shard 1\/2/);
    assert.equal(r.body.lease?.owner, (await readyz(owner)).body.shards.self?.instance);
    assert.equal(r.body.shards.self?.state, "standby");
    // The process writes its log asynchronously: the line may come after what the test saw.
    await eventually(
      () => logLines(standby.stderr()).some((l) => String(l["msg"]).startsWith("STANDBY for shard 1/2")),
      "the log says standby",
    );
    // Two owners subscribed; the standby did not.
    await pub.waitForSubscribers(2);
    assert.equal(await metric(standby.url, "stats_bus_connections"), 0);
    assert.equal(await metric(standby.url, "stats_ingest_lease_owner"), 0);
    await eventually(
      async () => (await metric(zero.url, 'stats_ingest_shards{state="standby"}')) === 1,
      "every process sees the standby in the registry",
    );
    assert.equal(await metric(zero.url, 'stats_ingest_shards{state="duplicate"}'), 0);
  });

  it("2,000 events are counted exactly 2,000 times", async () => {
    await sendAndSettle(2_000, "r1");
    assert.equal(await total(), 2_002, "2,000 events and 2 markers, each counted once");
    assert.equal(await metric(standby.url, "stats_events_received_total"), 0, "the standby received nothing");
  });

  it("the owner of 1/2 is SIGKILLed: the standby takes over, and the next 2,000 are counted once", async () => {
    const killedAt = Date.now();
    await owner.stop("SIGKILL");
    await eventually(async () => (await leaseState(standby)) === "owner", "the standby took over", 30_000);
    const tookOverMs = Date.now() - killedAt;
    await pub.waitForSubscribers(3);
    console.log(`owner SIGKILLed → standby owns 1/2 after ${tookOverMs} ms (heartbeat ${HEARTBEAT_MS} ms)`);
    // The process writes its log asynchronously: the line may come after what the test saw.
    await eventually(
      () => logLines(standby.stderr()).some((l) => String(l["msg"]).startsWith("OWNER of shard 1/2")),
      "the log says it took over",
    );
    await sendAndSettle(2_000, "r2");
    assert.equal(await total(), 4_004, "nothing lost, nothing doubled");
    assert.equal(await metric(standby.url, "stats_ingest_lease_owner"), 1);
  });

  it("a frozen owner resumed after another took its shard over does not write what it held", async () => {
    const frozen = standby;
    const next = await spawn("1/2");
    await eventually(async () => (await leaseState(next)) === "standby", "a new standby", 30_000);
    const before = await total();
    frozen.proc.kill("SIGSTOP");
    try {
      // Events for shard 1 that only the frozen process is subscribed for: they wait in its socket.
      const shard1 = ACCOUNTS.filter((a) => ownsAccount({ index: 1, count: 2 }, a));
      for (let i = 0; i < 100; i++) await pub.send(pageview(shard1[i % shard1.length] as string));
      await eventually(async () => (await leaseState(next)) === "owner", "the standby took the lapsed lease", 30_000);
      await pub.waitForSubscribers(4);
    } finally {
      frozen.proc.kill("SIGCONT");
    }
    await eventually(async () => (await leaseState(frozen)) === "standby", "the resumed process stepped down", 30_000);
    // The process writes its log asynchronously: the line may come after what the test saw.
    await eventually(
      () => logLines(frozen.stderr()).some((l) => String(l["msg"]).startsWith("LOST the lease of shard 1/2")),
      "its log says it lost the lease",
    );
    // Whatever of its shard it received and did not write is counted as fenced; none of it was written.
    await eventually(async () => {
      const [received, otherShard, applied, fenced] = await Promise.all([
        metric(frozen.url, "stats_events_received_total"),
        metric(frozen.url, 'stats_events_ignored_total{reason="other_shard"}'),
        metric(frozen.url, "stats_events_applied_total"),
        metric(frozen.url, "stats_events_fenced_total"),
      ]);
      return fenced > 0 && received - otherShard - applied === fenced;
    }, "received (of its shard) − applied = fenced on the resumed process");
    console.log(
      `resumed after losing its lease: ${await metric(frozen.url, "stats_events_fenced_total")} events fenced`,
    );
    await sendAndSettle(2_000, "r3");
    assert.equal(
      await total(),
      before + 2_002,
      "the 100 events published while no live owner was subscribed are counted by no one, not twice",
    );
  });
});
