/**
 * Resharding under load: `redis-cli --cluster reshard` moves 3,000 hash slots between masters of a
 * real three-master cluster while a 40,000-event stream is ingested by two shard processes. Flushes
 * meet MOVED, ASK and TRYAGAIN (a multi-key script on a slot being migrated); they are redirected
 * or retried with the same batch id, and each slot group's guard key hashes to the slot of its
 * counters, so it migrates with them: totals read through both API processes are exact.
 */
import assert from "node:assert/strict";
import { execFile, spawn as spawnChild } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { FunnelDocument, StatsDocument } from "../gql/graphql.js";
import { query } from "../helpers/graphql.js";
import { metric, type ServerProcess, spawnServer } from "../helpers/ingest.js";
import { eventually, sleep } from "../helpers/ports.js";
import { startRedisCluster, type TestCluster } from "../helpers/redis-cluster.js";
import { order, pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

const run = promisify(execFile);
const EVENTS = 40_000;
const SLOTS = 3_000;

/** Node id → the slots it serves, from CLUSTER NODES. */
async function slotOwners(port: string): Promise<Map<string, { addr: string; slots: number }>> {
  const { stdout } = await run("redis-cli", ["-p", port, "cluster", "nodes"]);
  const owners = new Map<string, { addr: string; slots: number }>();
  for (const line of stdout.trim().split("\n")) {
    const [id, addr, flags, , , , , , ...ranges] = line.split(" ");
    if (!id || !addr || !flags?.includes("master")) continue;
    let slots = 0;
    for (const r of ranges) {
      if (r.startsWith("[")) continue; // a migration in progress
      const [a, b] = r.split("-").map(Number);
      slots += (b ?? (a as number)) - (a as number) + 1;
    }
    owners.set(id, { addr: addr.split("@")[0] as string, slots });
  }
  return owners;
}

/** Sum of the cluster-redirect and retry errors the nodes answered (Redis ≥ 7 INFO errorstats). */
async function redirects(nodes: string[]): Promise<Record<string, number>> {
  const sums: Record<string, number> = { MOVED: 0, ASK: 0, TRYAGAIN: 0 };
  for (const node of nodes) {
    const { stdout } = await run("redis-cli", ["-p", node.split(":")[1] as string, "info", "errorstats"]);
    for (const m of stdout.matchAll(/errorstat_(MOVED|ASK|TRYAGAIN):count=(\d+)/g)) {
      sums[m[1] as string] = (sums[m[1] as string] ?? 0) + Number(m[2]);
    }
  }
  return sums;
}

describe("resharding a Redis Cluster under load", () => {
  let cluster: TestCluster;
  let pub: TestPublisher;
  const ingest: ServerProcess[] = [];
  const apis: ServerProcess[] = [];

  before(async () => {
    cluster = await startRedisCluster();
    pub = await startPublisher();
    const common = ["--redis-cluster", cluster.nodes.join(","), "--log-level", "warn"];
    const flags = (i: number) => [...common, "--role", "ingest", "--shard", `${i}/2`, "--zmq", pub.endpoint];
    // One at a time, with a generous start deadline: a loaded 2-core machine can take long to start one.
    const start = (args: string[]) => spawnServer(args, { startWithinMs: 90_000 });
    for (const i of [0, 1]) ingest.push(await start([...flags(i), "--flush-interval", "50ms"]));
    for (const _ of [0, 1]) apis.push(await start([...common, "--role", "api"]));
    await pub.waitForSubscribers(2);
  });
  after(async () => {
    await Promise.all([...ingest, ...apis].map((p) => p.stop("SIGKILL")));
    pub?.close();
    await cluster?.stop();
  });

  it(`reshards ${SLOTS} slots during a ${EVENTS}-event stream; totals are exact through both API processes`, async () => {
    const port0 = cluster.nodes[0]?.split(":")[1] as string;
    const before = await slotOwners(port0);
    const [from, to] = [...before.keys()];
    assert.ok(from && to);
    const years = new Set([new Date().getUTCFullYear()]);
    const accounts = Array.from({ length: 300 }, (_, i) => `r${i}`);
    const views = new Map<string, number>();
    let orders = 0;
    let uniques = 0;

    const started = Date.now();
    const reshard = spawnChild(
      "redis-cli",
      [
        "--cluster",
        "reshard",
        cluster.nodes[0] as string,
        "--cluster-from",
        from,
        "--cluster-to",
        to,
        "--cluster-slots",
        String(SLOTS),
        "--cluster-yes",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let reshardErr = "";
    reshard.stderr?.on("data", (b: Buffer) => {
      reshardErr += b.toString();
    });
    let reshardEnded = 0;
    const reshardDone = new Promise<number | null>((resolve) =>
      reshard.once("exit", (code) => {
        reshardEnded = Date.now();
        resolve(code);
      }),
    );

    // The stream: paced so that it runs alongside the migration (about 4,000 events/s).
    let sentDuringReshard = 0;
    for (let i = 0; i < EVENTS; i++) {
      const account = accounts[(i * 7919) % accounts.length] as string;
      if (i % 10 === 9) {
        await pub.send(order(account, i % 20 === 9 ? "paid" : "new"));
        orders++;
      } else {
        const unq = i % 3 === 0;
        await pub.send(pageview(account, { unq: unq ? "1" : "0" }));
        views.set(account, (views.get(account) ?? 0) + 1);
        if (unq) uniques++;
      }
      if (reshardEnded === 0) sentDuringReshard++;
      if (i % 200 === 199) await sleep(50);
    }
    const streamMs = Date.now() - started;
    years.add(new Date().getUTCFullYear());
    assert.equal(await reshardDone, 0, `redis-cli --cluster reshard failed: ${reshardErr}`);
    const after = await slotOwners(port0);
    assert.equal(after.get(to)?.slots, (before.get(to)?.slots ?? 0) + SLOTS, "the slots moved");

    const sum = async (name: string) => {
      let n = 0;
      for (const p of ingest) n += await metric(p.url, name);
      return n;
    };
    const applied = () => sum("stats_events_applied_total");
    await eventually(async () => (await applied()) === EVENTS, `${EVENTS} events applied`, 60_000).catch(
      async (e: unknown) => {
        throw new Error(`${String(e)} (applied ${await applied()})\n${ingest.map((p) => p.stderr()).join("\n")}`);
      },
    );
    const seen = await redirects(cluster.nodes);
    const retries = await sum("stats_flush_failures_total");
    console.log(
      `reshard of ${SLOTS} slots took ${reshardEnded - started} ms; stream ${streamMs} ms, ${sentDuringReshard} of ${EVENTS} events sent while it ran; ` +
        `nodes answered MOVED ${seen["MOVED"]}, ASK ${seen["ASK"]}, TRYAGAIN ${seen["TRYAGAIN"]}; flush attempts retried by the flusher: ${retries}`,
    );
    assert.ok(
      sentDuringReshard >= EVENTS / 4,
      `the reshard overlapped the stream (${sentDuringReshard} events during it)`,
    );
    assert.ok((seen["MOVED"] ?? 0) + (seen["ASK"] ?? 0) + (seen["TRYAGAIN"] ?? 0) > 0, "flushes met the migration");

    const total = async (url: string, account: string, event: string) => {
      let sum = 0;
      for (const year of years) {
        const r = await query(url, StatsDocument, { account, event, year });
        assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
        sum += r.body.data?.stats.total ?? Number.NaN;
      }
      return sum;
    };
    for (const api of apis) {
      assert.equal(await total(api.url, "all", "pageview"), EVENTS - orders, "all pageviews");
      assert.equal(await total(api.url, "all", "unique"), uniques, "all uniques");
      let funnel = 0;
      for (const year of years) {
        funnel +=
          (await query(api.url, FunnelDocument, { account: "all", event: "order", year })).body.data?.funnel.total ??
          Number.NaN;
      }
      assert.equal(funnel, orders, "all orders");
      const wrong: string[] = [];
      await Promise.all(
        [...views].map(async ([account, n]) => {
          const got = await total(api.url, account, "pageview");
          if (got !== n) wrong.push(`${account}: ${got} ≠ ${n}`);
        }),
      );
      assert.deepEqual(wrong, [], "every account's total");
    }
  });
});
