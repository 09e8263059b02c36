/**
 * ioredis 5.11 (what we ship) against ioredis 6.0 (installed as the dev alias `ioredis6`) on our
 * own Redis workload: the flush script (one guarded EVALSHA per chunk, one flush in flight, as the
 * flusher runs it) and the reads the APIs make (HGETALL, one at a time and pipelined).
 *
 *   node --import tsx bench/redis-client.ts          (BENCH_ROUNDS=5 by default)
 *
 * Both clients use the service's connection options and run against the same private
 * redis-server, alternating round by round so that machine noise hits both alike.
 */
import { randomUUID } from "node:crypto";
import { Redis as Redis5 } from "ioredis";
import { Redis as Redis6 } from "ioredis6";
import type { Delta, Period, StatsStore } from "../src/domain/types.js";
import { createKeySpace } from "../src/store/keys.js";
import { createRedisBackend } from "../src/store/redis-backend.js";
import { redisClientOptions } from "../src/store/redis-connection.js";
import { createStatsStore } from "../src/store/stats-store.js";
import { startRedis } from "../test/helpers/redis.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const FLUSHES = 400;
const READS = 20_000;
const READ_CONCURRENCY = 16;
const ACCOUNTS = 60;

type Client = { name: string; make(url: string): Redis5 };
/**
 * The service's options for v6: the same plain object (only the class identities in v5's types
 * differ; and v6's own exported RedisOptions does not satisfy its constructor under
 * exactOptionalPropertyTypes, so the object is passed untyped).
 */
const v6Options = (): object => redisClientOptions("bench");
const clients: Client[] = [
  { name: "ioredis 5.11", make: (url) => new Redis5(url, redisClientOptions("bench")) },
  // ioredis 6 speaks RESP3 by default; its API is v5's, so our backend takes it as is.
  { name: "ioredis 6.0 (RESP3)", make: (url) => new Redis6(url, { ...v6Options() }) as unknown as Redis5 },
  {
    name: "ioredis 6.0 (RESP2)",
    make: (url) => new Redis6(url, { ...v6Options(), protocol: 2 }) as unknown as Redis5,
  },
];

/** One flush as the service makes it under load: every account, pageview + unique, two minutes. */
function flushDeltas(minute: number): Delta[] {
  const deltas: Delta[] = [];
  const at = { year: 2013, month: 9, day: 5, hour: 16 };
  for (let a = 0; a < ACCOUNTS; a++) {
    for (const account of [`acct-${a}`]) {
      for (const event of ["pageview", "unique"]) {
        for (const m of [minute % 60, (minute + 1) % 60]) {
          deltas.push({ kind: "track", account, event, ...at, minute: m, count: 1 + (a % 7) });
        }
      }
    }
  }
  deltas.push({ kind: "track", account: "all", event: "pageview", ...at, minute: minute % 60, count: 500 });
  return deltas;
}

const periods: Period[] = [
  { year: 2013 },
  { year: 2013, month: 9 },
  { year: 2013, month: 9, day: 5 },
  { year: 2013, month: 9, day: 5, hour: 16 },
];

async function flushes(store: StatsStore): Promise<{ perSec: number; p50ms: number }> {
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < FLUSHES; i++) {
    const t = performance.now();
    await store.apply({ id: randomUUID(), deltas: flushDeltas(i), events: 1 });
    times.push(performance.now() - t);
  }
  const s = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  return { perSec: FLUSHES / s, p50ms: times[Math.floor(times.length / 2)] as number };
}

async function singleReads(store: StatsStore): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < READS) {
      const i = next++;
      await store.counts("track", `acct-${i % ACCOUNTS}`, "pageview", periods[i % periods.length] as Period);
    }
  };
  await Promise.all(Array.from({ length: READ_CONCURRENCY }, worker));
  return READS / ((performance.now() - t0) / 1000);
}

async function pipelinedReads(store: StatsStore): Promise<number> {
  // A dashboard-sized request: every account's four periods in one round trip.
  const batch = Array.from({ length: ACCOUNTS }, (_, a) =>
    periods.map((period) => ({ kind: "track" as const, account: `acct-${a}`, event: "pageview", period })),
  ).flat();
  const rounds = Math.ceil(READS / batch.length);
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) await store.countsMany(batch);
  return (rounds * batch.length) / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function main() {
  const redis = await startRedis();
  const results = new Map<string, { flush: number[]; p50: number[]; single: number[]; piped: number[] }>();
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const c of clients) {
        const client = c.make(redis.url);
        client.on("error", () => {});
        const store = createStatsStore(createRedisBackend(client), createKeySpace(`rc${r}:${randomUUID()}:`), {
          minuteRetentionSeconds: 3600,
        });
        await store.ping().catch(async () => {
          await new Promise((res) => setTimeout(res, 200));
          await store.ping();
        });
        const f = await flushes(store);
        const single = await singleReads(store);
        const piped = await pipelinedReads(store);
        await store.close();
        const row = results.get(c.name) ?? { flush: [], p50: [], single: [], piped: [] };
        row.flush.push(f.perSec);
        row.p50.push(f.p50ms);
        row.single.push(single);
        row.piped.push(piped);
        results.set(c.name, row);
        console.log(
          `round ${r + 1} ${c.name.padEnd(20)} flushes ${fmt(f.perSec)}/s (p50 ${f.p50ms.toFixed(2)} ms)  HGETALL ${fmt(single)}/s single, ${fmt(piped)}/s pipelined`,
        );
      }
    }
  } finally {
    await redis.stop();
  }
  const base = results.get(clients[0]?.name as string);
  console.log(
    `\nmedians of ${ROUNDS} rounds; ${FLUSHES} flushes of ${flushDeltas(0).length} deltas each, ${fmt(READS)} reads (2-core shared machine)`,
  );
  for (const [name, row] of results) {
    const rel = (xs: number[], ys: number[] | undefined) =>
      ys ? ` (${((median(xs) / median(ys)) * 100).toFixed(0)}%)` : "";
    console.log(
      `  ${name.padEnd(20)} flushes ${fmt(median(row.flush))}/s${rel(row.flush, base?.flush)}, p50 ${median(row.p50).toFixed(2)} ms;` +
        ` HGETALL single ${fmt(median(row.single))}/s${rel(row.single, base?.single)}, pipelined ${fmt(median(row.piped))}/s${rel(row.piped, base?.piped)}`,
    );
  }
}

await main();
