/**
 * Dead shard-registry entries must not cost a live process. Before, every start added an entry
 * that lived 7 days, and every process read them all twice a second (a ZRANGE of the whole set and
 * one GET per entry): 5,000 stale entries cost an idle service 31% CPU. Now a registration expires
 * within two heartbeats and a read trims what expired before reading what is left, and the old
 * layout's dead entries are trimmed, never read.
 *
 * What a user can check, on a real Redis: the stale entries are gone from Redis once the process
 * runs; while two registry reads happen, Redis executes a handful of GETs, not 5,000 per read; and
 * an entry no process of this version could have written (n = 30,000,000) is ignored rather than
 * sizing anything by n.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { metric, type ServerProcess, spawnServer } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startPublisher, type TestPublisher } from "../helpers/zmq.js";

const STALE = 5_000;
const HEARTBEAT_MS = 500;

/** calls= of one command in INFO commandstats (commands run by scripts included). */
async function calls(redis: TestRedis, command: string): Promise<number> {
  const info = await redis.client.info("commandstats");
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, "m").exec(info)?.[1] ?? 0);
}

describe("faults: 5,000 stale shard-registry entries", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let prefix: string;
  const procs: ServerProcess[] = [];
  let idle: ServerProcess;
  const flags = () => [
    "--redis",
    redis.url,
    "--zmq",
    pub.endpoint,
    "--key-prefix",
    prefix,
    "--shard-heartbeat",
    `${HEARTBEAT_MS}ms`,
  ];

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    prefix = redis.prefix();
    const hourAgo = Date.now() - 3_600_000;
    // What earlier versions left behind: one entry per start, its heartbeat key long expired.
    const legacy = redis.client.pipeline();
    for (let i = 0; i < STALE; i++) legacy.zadd(`${prefix}ingest:shards`, hourAgo + i, `0/1 host:${i}:dead${i}`);
    // What this layout holds after processes died without a clean stop: expired, not yet trimmed.
    for (let i = 0; i < STALE; i++) legacy.zadd(`${prefix}ingest:registry`, hourAgo + i, `0/1 host:${i}:gone owner`);
    // A live entry with an n no process of this version can claim.
    legacy.zadd(`${prefix}ingest:registry`, Date.now() + 3_600_000, "0/30000000 host:1:odd owner");
    await legacy.exec();
    idle = await spawnServer([...flags(), "--role", "ingest"], { startWithinMs: 60_000 });
    procs.push(idle);
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.stop("SIGKILL")));
    pub?.close();
    await redis?.stop();
  });

  it("the stale entries are trimmed from Redis, and the view is what is live", async () => {
    await eventually(async () => (await metric(idle.url, 'stats_ingest_shards{state="alive"}')) === 1, "0/1 alive");
    await eventually(
      async () => (await redis.client.zcard(`${prefix}ingest:shards`)) === 0,
      "the old layout's dead entries trimmed",
    );
    const left = await redis.client.zrange(`${prefix}ingest:registry`, 0, -1);
    assert.equal(left.length, 2, `only live registrations are left: ${left.join(", ")}`);
    assert.ok(left.some((m) => m.endsWith(" owner") && m.startsWith("0/1 ")));
    assert.equal(await metric(idle.url, "stats_ingest_shards_expected"), 1, "the n = 30,000,000 entry is ignored");
    const r = (await (await fetch(`${idle.url}/readyz`)).json()) as { shards: { alive: string[]; missing: string[] } };
    assert.deepEqual(r.shards.alive, ["0/1"]);
    assert.deepEqual(r.shards.missing, []);
  });

  it("a registry read costs what is live: a few GETs while two reads happen, not 5,000 per read", async () => {
    const gets = await calls(redis, "get");
    // A positive marker for two reads by the idle process: a process split by n = 2 comes (the
    // idle one now expects 2 shards), then goes (back to 1).
    const second = await spawnServer([...flags(), "--role", "ingest", "--shard", "1/2"], { startWithinMs: 60_000 });
    procs.push(second);
    await eventually(
      async () => (await metric(idle.url, "stats_ingest_shards_expected")) === 2,
      "the idle process read the registry and saw the other process",
    );
    await second.stop("SIGTERM");
    await eventually(
      async () => (await metric(idle.url, "stats_ingest_shards_expected")) === 1,
      "the idle process read the registry again and saw it gone",
    );
    const spent = (await calls(redis, "get")) - gets;
    console.log(`GET calls in Redis during two or more registry reads with ${STALE} stale entries: ${spent}`);
    assert.ok(spent < 1_000, `${spent} GETs: the stale entries were read`);
  });
});
