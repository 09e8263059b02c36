/**
 * What the rankings (docs/contract.md §9) cost, against a private redis-server, 10,000 accounts:
 *
 * 1. Ingest: the same stream of flush batches applied through the store (the guarded Lua script
 *    per chunk, as the flusher calls it) with the rankings and without them (the store's internal
 *    `rankings: false`: the ceiling) — events per second, and Redis's used_memory (INFO memory)
 *    grown by the data, per ranking entry (account × period) too. Each run starts from FLUSHDB.
 * 2. A `top(last: 30, DAY)` answer over 10,000 accounts active every day, executed (every request's
 *    `first` differs, so no answer comes from the cache), over HTTP against the service in this
 *    process — beside `series(last: 30, DAY)` for one account (the ceiling: the same window, the
 *    same server, no ranking) and the ranking script alone on a Redis client.
 *
 * Medians of several rounds; the with/without order alternates per round.
 *
 *   npm run bench:top [-- --rounds 3 --events 200000]
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { startService } from "../src/commands/serve.js";
import { planTop } from "../src/domain/read-plan.js";
import type { TrackDelta } from "../src/domain/types.js";
import { resolveWindow } from "../src/domain/window.js";
import { createLogger } from "../src/log.js";
import { createKeySpace } from "../src/store/keys.js";
import { createRedisBackend } from "../src/store/redis-backend.js";
import { createStatsStore } from "../src/store/stats-store.js";
import { startRedis } from "../test/helpers/redis.js";
import { testConfig } from "../test/helpers/service.js";
import { intOption, median } from "./server-role.js";

const ACCOUNTS = 10_000;
const DAY = 86_400_000;
const MINUTE = 60_000;

function parseArgs(argv: string[]) {
  const opt = (name: string, def: number, max: number) => intOption(argv, name, def, max);
  return { rounds: opt("rounds", 3, 15), events: opt("events", 200_000, 5_000_000), samples: opt("samples", 30, 90) };
}

const account = (i: number) => `acct-${i}`;

/**
 * A stream of flush batches, coalesced as the flusher does (one delta per account and minute):
 * `events` pageviews over 10,000 accounts (a skewed pick) arriving at 20,000 events/s (event time
 * advances with them), in flushes of 20,000 events (one second each).
 */
function stream(events: number): TrackDelta[][] {
  const perFlush = 20_000;
  const start = Date.UTC(2026, 10, 30, 23, 59, 50);
  const batches: TrackDelta[][] = [];
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let done = 0; done < events; done += perFlush) {
    const n = Math.min(perFlush, events - done);
    const counts = new Map<string, number>();
    for (let k = 0; k < n; k++) {
      const t = start + Math.floor((done + k) / 20);
      const i = Math.floor(rand() ** 2 * ACCOUNTS);
      const key = `${i}|${Math.floor(t / MINUTE)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const deltas: TrackDelta[] = [];
    for (const [key, count] of counts) {
      const [i, m] = key.split("|").map(Number) as [number, number];
      const d = new Date(m * MINUTE);
      const at = {
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hour: d.getUTCHours(),
        minute: d.getUTCMinutes(),
      };
      for (const acc of [account(i), "all"])
        deltas.push({ kind: "track", account: acc, event: "pageview", ...at, count });
    }
    batches.push(deltas);
  }
  return batches;
}

async function usedMemory(client: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await client.info("memory"))?.[1] ?? 0);
}

async function rankingEntries(client: Redis): Promise<number> {
  let n = 0;
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", "top:*", "COUNT", 1000);
    cursor = next;
    for (const key of keys) n += await client.zcard(key);
  } while (cursor !== "0");
  return n;
}

async function ingestRun(url: string, admin: Redis, batches: TrackDelta[][], events: number, rankings: boolean) {
  await admin.flushdb();
  const base = await usedMemory(admin);
  const client = new Redis(url);
  const store = createStatsStore(createRedisBackend(client), createKeySpace(""), {
    minuteRetentionSeconds: 30 * 86_400,
    rankings,
  });
  const t0 = performance.now();
  for (const deltas of batches) await store.apply({ id: randomUUID(), deltas, events: 0 });
  const seconds = (performance.now() - t0) / 1000;
  await store.close();
  // The guards (one key per chunk, with a TTL) are not data: left out of the memory figure.
  const guards = await admin.eval(
    "local n = 0 for _, k in ipairs(redis.call('KEYS', 'applied:*')) do redis.call('DEL', k) n = n + 1 end return n",
    0,
  );
  const memory = (await usedMemory(admin)) - base;
  return { eventsPerSecond: events / seconds, memory, entries: rankings ? await rankingEntries(admin) : 0, guards };
}

/** 10,000 accounts, each with a few pageviews on each of the last 32 days (and the rollup). */
async function seedDays(url: string): Promise<void> {
  const client = new Redis(url);
  const store = createStatsStore(createRedisBackend(client), createKeySpace(""), {
    minuteRetentionSeconds: 30 * 86_400,
  });
  const today = Math.floor(Date.now() / DAY) * DAY;
  for (let day = 0; day < 32; day++) {
    const t = new Date(today - day * DAY + ((day * 7) % 24) * 3_600_000 + 13 * MINUTE);
    const at = {
      year: t.getUTCFullYear(),
      month: t.getUTCMonth() + 1,
      day: t.getUTCDate(),
      hour: t.getUTCHours(),
      minute: t.getUTCMinutes(),
    };
    const deltas: TrackDelta[] = [];
    let all = 0;
    for (let i = 0; i < ACCOUNTS; i++) {
      const count = 1 + ((i * 31 + day * 17) % 97);
      all += count;
      deltas.push({ kind: "track", account: account(i), event: "pageview", ...at, count });
    }
    deltas.push({ kind: "track", account: "all", event: "pageview", ...at, count: all });
    await store.apply({ id: randomUUID(), deltas, events: 0 });
  }
  await store.close();
}

async function timeGraphql(url: string, body: (i: number) => unknown, samples: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body(i)),
    });
    const json = (await res.json()) as { errors?: unknown };
    out.push(performance.now() - t0);
    if (json.errors) throw new Error(JSON.stringify(json.errors));
  }
  return out;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const redis = await startRedis();
  const admin = new Redis(redis.url);
  try {
    // 1. Ingest.
    const batches = stream(opts.events);
    const withRuns: Array<Awaited<ReturnType<typeof ingestRun>>> = [];
    const withoutRuns: Array<Awaited<ReturnType<typeof ingestRun>>> = [];
    const ratios: number[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? [true, false] : [false, true];
      const got: Record<string, Awaited<ReturnType<typeof ingestRun>>> = {};
      for (const rankings of order)
        got[String(rankings)] = await ingestRun(redis.url, admin, batches, opts.events, rankings);
      const w = got["true"] as Awaited<ReturnType<typeof ingestRun>>;
      const wo = got["false"] as Awaited<ReturnType<typeof ingestRun>>;
      withRuns.push(w);
      withoutRuns.push(wo);
      ratios.push(w.eventsPerSecond / wo.eventsPerSecond);
      console.log(
        `round ${round + 1}: ingest ${Math.round(w.eventsPerSecond)} ev/s with rankings, ${Math.round(wo.eventsPerSecond)} without`,
      );
    }
    const m = (xs: number[]) => median(xs);
    const memWith = m(withRuns.map((r) => r.memory));
    const memWithout = m(withoutRuns.map((r) => r.memory));
    const entries = m(withRuns.map((r) => r.entries));
    console.log(
      `\nINGEST (${opts.events} events, ${ACCOUNTS} accounts, 20,000 events/s of event time from 23:59:50 on a month's last day, flushes of 20,000 events, median of ${opts.rounds})`,
    );
    console.log(`  with rankings:    ${Math.round(m(withRuns.map((r) => r.eventsPerSecond)))} events/s`);
    console.log(`  without (ceiling): ${Math.round(m(withoutRuns.map((r) => r.eventsPerSecond)))} events/s`);
    console.log(`  ratio with/without: ${m(ratios).toFixed(2)} x`);
    console.log(
      `  Redis used_memory: ${(memWith / 2 ** 20).toFixed(1)} MB with, ${(memWithout / 2 ** 20).toFixed(1)} MB without (${(memWith / memWithout).toFixed(2)} x); ` +
        `${entries} ranking entries (account x period) = ${((memWith - memWithout) / entries).toFixed(0)} bytes each`,
    );

    // 2. top over 30 days.
    await admin.flushdb();
    const seeding = performance.now();
    await seedDays(redis.url);
    console.log(`\nseeded 32 days x ${ACCOUNTS} accounts in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
    const service = await startService(
      testConfig(["--redis", redis.url, "--zmq", "tcp://127.0.0.1:1", "--max-query-cost", "100000"]),
      createLogger("silent"),
      { defaultMetrics: false },
    );
    try {
      const topQuery =
        'query T($first: Int) { top(event: "pageview", granularity: DAY, last: 30, first: $first) { total accountCount accounts { account count } others } }';
      const seriesQuery =
        'query S($a: String!) { series(account: $a, event: "pageview", granularity: DAY, last: 30) { total points { start count } } }';
      const w = resolveWindow({ granularity: "DAY", timeZone: "UTC", last: 30 }, Date.now(), 1500);
      const plan = planTop(w.from, w.to, { now: Date.now(), minuteRetention: 30 * DAY, describe: "" });
      const keys = createKeySpace("");
      const setKeys = plan.sets.map((s) => keys.top("pageview", s.period));
      const weights = plan.sets.map((s) => -s.weight);
      const raw = new Redis(redis.url);
      raw.defineCommand("topUnion", {
        lua: (await import("node:fs")).readFileSync(new URL("../src/store/lua/top-union.lua", import.meta.url), "utf8"),
      });
      const rawTop = raw as Redis & {
        topUnion(n: number, keys: string[], args: Array<string | number>): Promise<unknown>;
      };
      const tops: number[] = [];
      const seriesRuns: number[] = [];
      const scripts: number[] = [];
      for (let round = 0; round < opts.rounds; round++) {
        const base = round * opts.samples;
        const t = await timeGraphql(
          service.url,
          (i) => ({ query: topQuery, variables: { first: 1 + ((base + i) % 100) } }),
          opts.samples,
        );
        const s = await timeGraphql(
          service.url,
          (i) => ({ query: seriesQuery, variables: { a: account((base + i) * 37) } }),
          opts.samples,
        );
        const r: number[] = [];
        for (let i = 0; i < opts.samples; i++) {
          const t0 = performance.now();
          await rawTop.topUnion(setKeys.length, setKeys, [10, ...weights]);
          r.push(performance.now() - t0);
        }
        tops.push(m(t));
        seriesRuns.push(m(s));
        scripts.push(m(r));
        console.log(
          `round ${round + 1}: top ${m(t).toFixed(1)} ms, series ${m(s).toFixed(1)} ms, script alone ${m(r).toFixed(1)} ms`,
        );
      }
      await raw.quit();
      const sample = (await (
        await fetch(`${service.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: topQuery, variables: { first: 3 } }),
        })
      ).json()) as { data: { top: { accountCount: number } } };
      console.log(
        `\nTOP over 30 days (last: 30, DAY, UTC; ${sample.data.top.accountCount} accounts; ${plan.sets.length} sorted sets in one ZUNION; executed, median of ${opts.rounds} x ${opts.samples})`,
      );
      console.log(`  top answer:                 ${m(tops).toFixed(1)} ms`);
      console.log(
        `  ceiling: series(last: 30):  ${m(seriesRuns).toFixed(1)} ms  (top is ${(m(tops) / m(seriesRuns)).toFixed(1)} x)`,
      );
      console.log(
        `  the ranking script alone:   ${m(scripts).toFixed(1)} ms  (${((m(scripts) / m(tops)) * 100).toFixed(0)} % of the answer)`,
      );
    } finally {
      await service.stop();
    }
  } finally {
    admin.disconnect();
    await redis.stop();
  }
}

await main();
