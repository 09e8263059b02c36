/**
 * The shard registry on real processes and a real three-master Redis Cluster: two ingest shards
 * and two API processes. Kill a shard → every API process reports it missing once its heartbeat
 * (2 intervals long) lapses (and stays ready); a second process on the same shard → a `standby` (the shard's lease
 * is held), ready, listed as such by every process, never a duplicate; a process with another n →
 * `disagreeing`, logged at error level.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { logLines, metric, type ServerProcess, spawnServer } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { startRedisCluster, type TestCluster } from "../helpers/redis-cluster.js";
import { startPublisher, type TestPublisher } from "../helpers/zmq.js";

const HEARTBEAT_MS = 2_000;
/** Every wait below only guards against a hang: 10 x the 3 intervals a change takes to show. */
const HANG_GUARD_MS = 30 * HEARTBEAT_MS;

interface Readyz {
  status: string;
  checks: Record<string, string>;
  shards: {
    expected: number;
    alive: string[];
    missing: string[];
    duplicate: Array<{ shard: string; instances: string[] }>;
    disagreeing: Array<{ instance: string; shard: string }>;
    standby: Array<{ shard: string; instance: string }>;
    self: { instance: string; shard: string; state: string } | null;
  };
  lease?: { shard: string; state: string; owner: string | null };
}

async function readyz(p: ServerProcess): Promise<{ status: number; body: Readyz }> {
  const res = await fetch(`${p.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Readyz };
}

const shardsGauge = (p: ServerProcess, state: string) => metric(p.url, `stats_ingest_shards{state="${state}"}`);
const conflictLogged = (p: ServerProcess) =>
  logLines(p.stderr()).some((l) => l["level"] === 50 && String(l["msg"]).startsWith("INGEST SHARD CONFLICT"));

describe("shard registry: real processes on a three-master cluster", () => {
  let cluster: TestCluster;
  let pub: TestPublisher;
  const procs: ServerProcess[] = [];
  let ingest: ServerProcess[];
  let apis: ServerProcess[];
  let common: string[];

  const spawn = async (flags: string[]) => {
    // A loaded 2-core machine can take long to start a process; the deadlines that matter come later.
    const p = await spawnServer([...common, ...flags], { startWithinMs: 90_000 });
    procs.push(p);
    return p;
  };

  before(async () => {
    cluster = await startRedisCluster();
    pub = await startPublisher();
    common = [
      "--redis-cluster",
      cluster.nodes.join(","),
      "--zmq",
      pub.endpoint,
      "--shard-heartbeat",
      `${HEARTBEAT_MS}ms`,
      "--log-level",
      "warn",
    ];
    ingest = [];
    for (const i of [0, 1]) ingest.push(await spawn(["--role", "ingest", "--shard", `${i}/2`]));
    apis = [];
    for (const _ of [0, 1]) apis.push(await spawn(["--role", "api"]));
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.stop("SIGKILL")));
    pub?.close();
    await cluster?.stop();
  });

  it("both shards alive on every process; ingest serves only health, readiness and metrics", async () => {
    for (const p of [...ingest, ...apis]) {
      await eventually(async () => (await shardsGauge(p, "alive")) === 2, "2 shards alive", 15_000);
      assert.equal(await metric(p.url, "stats_ingest_shards_expected"), 2);
      assert.equal(await shardsGauge(p, "missing"), 0);
      assert.equal(await shardsGauge(p, "duplicate"), 0);
    }
    const r = await readyz(ingest[0] as ServerProcess);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.shards.alive, ["0/2", "1/2"]);
    assert.equal(r.body.shards.self?.shard, "0/2");
    assert.equal((await readyz(apis[0] as ServerProcess)).body.shards.self, null);

    const ing = ingest[0] as ServerProcess;
    assert.equal((await fetch(`${ing.url}/graphql?query={accounts}`)).status, 404);
    assert.equal((await fetch(`${ing.url}/api/stats/track`)).status, 404);
    assert.equal((await fetch(`${ing.url}/healthz`)).status, 200);
    const api = apis[0] as ServerProcess;
    assert.equal((await fetch(`${api.url}/api/stats/track`)).status, 200, "the API process serves REST");
  });

  it("a killed shard is `missing` on both API processes (its heartbeat lives 2 intervals); APIs stay ready", async () => {
    const victim = ingest[1] as ServerProcess;
    // The bound of 3 intervals is made of the heartbeat's life in Redis (2 intervals, set on every
    // beat) and the readers' re-read (every half interval). The first is Redis's to keep: read it.
    const self = (await readyz(victim)).body.shards.self;
    assert.ok(self, "the victim names its claim");
    // The registry is one sorted set (member `i/n id state`, score: its expiry on Redis's clock).
    const entries = await cluster.client.zrange("ingest:registry", 0, -1, "WITHSCORES");
    const at = entries.findIndex((member, i) => i % 2 === 0 && member.split(" ")[1] === self.instance);
    assert.ok(at >= 0, `the victim ${self.instance} is in the registry`);
    const [seconds, micros] = await cluster.client.time();
    const life = Number(entries[at + 1]) - (Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
    assert.ok(life > 0 && life <= 2 * HEARTBEAT_MS, `the heartbeat expires in ${life} ms`);
    const killedAt = Date.now();
    await victim.stop("SIGKILL");
    const seen = await Promise.all(
      apis.map(async (api) => {
        await eventually(async () => (await shardsGauge(api, "missing")) === 1, "missing 1", HANG_GUARD_MS);
        return Date.now() - killedAt;
      }),
    );
    console.log(
      `shard killed → missing on the API processes after ${seen.join(" and ")} ms (heartbeat ${HEARTBEAT_MS} ms)`,
    );
    for (const api of apis) {
      const r = await readyz(api);
      assert.equal(r.status, 200, "an API process stays ready with a shard missing");
      assert.deepEqual(r.body.shards.missing, ["1/2"]);
      assert.equal(await shardsGauge(api, "alive"), 1);
    }
    // Each process re-reads the registry on its own clock: the survivor sees it too.
    let survivor = await readyz(ingest[0] as ServerProcess);
    await eventually(
      async () => {
        survivor = await readyz(ingest[0] as ServerProcess);
        return survivor.status === 503;
      },
      "the surviving ingest process unready",
      HANG_GUARD_MS,
    );
    assert.equal(survivor.status, 503, "the ingest side says so");
    assert.equal(survivor.body.checks["shards"], "down");
    assert.match(
      (survivor.body as { reasons?: Record<string, string> }).reasons?.["shards"] ?? "",
      /missing shards 1 of 2/,
      "the reason names the missing shard",
    );
    assert.deepEqual(survivor.body.shards.missing, ["1/2"]);
  });

  it("a second process on shard 0/2 is a standby, not a duplicate; a process with n=3 is `disagreeing`", async () => {
    ingest[1] = await spawn(["--role", "ingest", "--shard", "1/2"]);
    await eventually(async () => (await shardsGauge(apis[0] as ServerProcess, "missing")) === 0, "shard 1/2 back");
    const twin = await spawn(["--role", "ingest", "--shard", "0/2"]);
    const first = ingest[0] as ServerProcess;
    for (const api of apis) {
      await eventually(async () => (await shardsGauge(api, "standby")) === 1, "standby 1", HANG_GUARD_MS);
      assert.equal(await shardsGauge(api, "duplicate"), 0);
    }
    const r = await readyz(apis[1] as ServerProcess);
    assert.equal(r.status, 200);
    const twinReady = await readyz(twin);
    assert.equal(twinReady.status, 200, "a standby is ready");
    assert.equal(twinReady.body.lease?.state, "standby");
    assert.equal(twinReady.body.lease?.owner, (await readyz(first)).body.shards.self?.instance);
    assert.deepEqual(r.body.shards.standby, [{ shard: "0/2", instance: twinReady.body.shards.self?.instance }]);
    assert.equal((await readyz(first)).status, 200, "the owner stays ready");
    await twin.stop("SIGTERM");
    await eventually(async () => (await shardsGauge(apis[0] as ServerProcess, "standby")) === 0, "standby gone");

    const odd = await spawn(["--role", "ingest", "--shard", "2/3"]);
    await eventually(
      async () => (await metric((apis[0] as ServerProcess).url, "stats_ingest_shards_disagreeing")) === 1,
      "1 disagreeing",
      HANG_GUARD_MS,
    );
    const d = await readyz(apis[0] as ServerProcess);
    assert.equal(d.body.shards.expected, 2);
    assert.deepEqual(
      d.body.shards.disagreeing.map((x) => x.shard),
      ["2/3"],
    );
    await eventually(() => conflictLogged(odd), "the odd process logs the conflict too", HANG_GUARD_MS);
  });
});
