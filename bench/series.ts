/**
 * Time-window benchmark: executed answers (every request's variables differ, so no answer comes
 * from the cache) of `series(last: 31, DAY, America/Santiago)` and `series(last: 12, MONTH,
 * America/Santiago)` against `stats(year, month)` — the ceiling, executed by the same server
 * process in the same run, against the same private redis-server seeded with 400 days of hours.
 * Redis reads per answer come from redis-server's own INFO commandstats (HGETALL calls / answers).
 * Medians of several rounds; rounds alternate order; ratios are per round, then the median.
 *
 *   npm run bench:series [-- --rounds 3 --seconds 5 --connections 20]
 */
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import { startService } from "../src/commands/serve.js";
import { planReads } from "../src/domain/read-plan.js";
import { resolveWindow } from "../src/domain/window.js";
import { createLogger } from "../src/log.js";
import { eventually } from "../test/helpers/ports.js";
import { startRedis } from "../test/helpers/redis.js";
import { testConfig } from "../test/helpers/service.js";
import { exitWithParent, intOption, median, spawnRole as spawnServerRole, stopChild } from "./server-role.js";

const KEY_PREFIX = "bench:";
const DAY = 86_400_000;

const [role, ...roleArgs] = process.argv.slice(2);
if (role === "serve-graphql") await serveGraphql(roleArgs[0] as string);
else await main(parseArgs(process.argv.slice(2)));

function parseArgs(argv: string[]) {
  const opt = (name: string, def: number, max: number) => intOption(argv, name, def, max);
  return { rounds: opt("rounds", 3, 15), seconds: opt("seconds", 5, 30), connections: opt("connections", 20, 500) };
}
type Options = ReturnType<typeof parseArgs>;

interface Target {
  label: string;
  query: string;
  variables: Record<string, unknown>;
  /** Hashes one answer reads, from the read plan (checked against Redis's own count). */
  planned: number;
  /** The issue's bound on reads per answer, if any. */
  bound?: { reads: number; why: string };
  runs: Array<{ rps: number; p99: number; reads: number }>;
}

async function main(opts: Options): Promise<void> {
  const redis = await startRedis();
  const children: ChildProcess[] = [];
  try {
    await seed(redis.url);
    const server = await spawnRole(["serve-graphql", redis.url], children);
    const now = new Date();
    const statsVars = { account: "acme", event: "pageview", year: now.getUTCFullYear(), month: now.getUTCMonth() + 1 };
    const seriesQuery =
      "query S($account: String!, $event: String!, $granularity: Granularity!, $last: Int, $timeZone: String) { series(account: $account, event: $event, granularity: $granularity, last: $last, timeZone: $timeZone) { from to total points { start local count } } }";
    const plan = (granularity: "DAY" | "MONTH", last: number) => {
      const w = resolveWindow({ granularity, timeZone: "America/Santiago", last }, Date.now(), 1500);
      const reads = planReads(w.segments, { kind: "track", now: Date.now(), minuteRetention: 30 * DAY, describe: "" })
        .reads.length;
      const bounds = [w.from, ...w.segments.map((s) => s.end)];
      return { reads, cuts: bounds.filter((b) => b % DAY !== 0).length };
    };
    const days = plan("DAY", 31);
    const months = plan("MONTH", 12);
    const targets: Target[] = [
      {
        label: "ceiling: stats(year, month)",
        query:
          "query M($account: String!, $event: String!, $year: Int!, $month: Int) { stats(account: $account, event: $event, year: $year, month: $month) { total segments { key count } } }",
        variables: statsVars,
        planned: 1,
        runs: [],
      },
      {
        label: "series(last: 31, DAY, Santiago)",
        query: seriesQuery,
        variables: { account: "acme", event: "pageview", granularity: "DAY", last: 31, timeZone: "America/Santiago" },
        planned: days.reads,
        bound: { reads: 2 * (days.cuts + 1), why: `2 × (${days.cuts} boundaries that cut a UTC day + 1)` },
        runs: [],
      },
      {
        label: "series(last: 12, MONTH, Santiago)",
        query: seriesQuery,
        variables: { account: "acme", event: "pageview", granularity: "MONTH", last: 12, timeZone: "America/Santiago" },
        planned: months.reads,
        bound: { reads: 60, why: "60 hashes" },
        runs: [],
      },
    ];
    for (const t of targets) {
      const r = await post(server.url, t.query, t.variables);
      if (!r.includes('"total":') || r.includes('"errors"')) throw new Error(`${t.label}: ${r}`);
    }
    console.log("2 cores shared by the server, autocannon, redis-server and other work: medians, ratios.");
    console.log(
      `executed answers (variables vary per request): ${opts.rounds} rounds × ${opts.seconds} s per target, ${opts.connections} connections`,
    );
    const counter = new Redis(redis.url);
    for (const t of targets) await load(server.url, t, 2, opts.connections, counter);
    for (const t of targets) t.runs.length = 0;
    for (let round = 0; round < opts.rounds; round++) {
      for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
        t.runs.push(await load(server.url, t, opts.seconds, opts.connections, counter));
      }
      console.log(
        `  round ${round + 1}: ${targets.map((t) => `${t.label} ${fmt(t.runs.at(-1) as Target["runs"][number])}`).join(" | ")}`,
      );
    }
    counter.disconnect();

    const [ceiling] = targets as [Target];
    console.log(`\nmedians of ${opts.rounds} rounds:`);
    for (const t of targets) {
      const m = {
        rps: median(t.runs.map((r) => r.rps)),
        p99: median(t.runs.map((r) => r.p99)),
        reads: median(t.runs.map((r) => r.reads)),
      };
      const ratio = median(t.runs.map((r, i) => r.rps / (ceiling.runs[i] as { rps: number }).rps));
      let verdict = "";
      if (t !== ceiling) {
        verdict = `  ${(ratio * 100).toFixed(0)}% of the stats rate`;
        if (t.label.includes("31")) verdict += ratio >= 0.5 ? " (target ≥ 50%: met)" : " (target ≥ 50%: NOT met)";
        if (t.bound)
          verdict += `; reads ${m.reads.toFixed(1)} (plan ${t.planned}) ≤ ${t.bound.reads} = ${t.bound.why}: ${m.reads <= t.bound.reads ? "met" : "NOT met"}`;
      }
      console.log(`  ${t.label.padEnd(36)} ${fmt(m)}${verdict}`);
    }
  } finally {
    await Promise.all(children.map(stopChild));
    await redis.stop();
  }
}

/** 400 days of hourly counts up to now, at every level (year, month, day hashes), as a flush writes them. */
async function seed(redisUrl: string): Promise<void> {
  const r = new Redis(redisUrl);
  const pipe = r.pipeline();
  const end = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  for (let t = end - 400 * DAY; t <= end; t += 3_600_000) {
    const d = new Date(t);
    const [y, m, day, h] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours()];
    const n = 10 + ((t / 3_600_000) % 97);
    const key = `${KEY_PREFIX}track:acme:pageview`;
    pipe.hincrby(`${key}:${y}`, String(m), n);
    pipe.hincrby(`${key}:${y}:${m}`, String(day), n);
    pipe.hincrby(`${key}:${y}:${m}:${day}`, String(h), n);
  }
  await pipe.exec();
  r.disconnect();
}

async function load(url: string, t: Target, seconds: number, connections: number, counter: Redis) {
  const before = await hgetallCalls(counter);
  let n = 0;
  const r = await autocannon({
    url: `${url}/graphql`,
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    connections,
    duration: seconds,
    requests: [
      {
        setupRequest: (req: autocannon.Request) => ({
          ...req,
          body: JSON.stringify({ query: t.query, variables: { ...t.variables, unused: n++ } }),
        }),
      },
    ],
  });
  const calls = (await hgetallCalls(counter)) - before;
  if (r.errors > 0 || r.non2xx > 0) throw new Error(`${t.label}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
  return { rps: r.requests.average, p99: r.latency.p99, reads: calls / Math.max(1, r.requests.sent) };
}

async function hgetallCalls(r: Redis): Promise<number> {
  const info = await r.info("commandstats");
  const m = /cmdstat_hgetall:calls=(\d+)/.exec(info);
  return Number(m?.[1] ?? 0);
}

async function post(url: string, query: string, variables: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return res.text();
}

async function serveGraphql(redisUrl: string): Promise<void> {
  const config = testConfig(["--role", "api", "--redis", redisUrl, "--log-level", "error", "--key-prefix", KEY_PREFIX]);
  const service = await startService(config, createLogger(config.logLevel), { defaultMetrics: false });
  await eventually(() => service.store.ping().then(() => true), "redis reachable from the service");
  process.stdout.write(`${service.url}\n`);
  exitWithParent(() => service.stop());
}
function spawnRole(args: string[], children: ChildProcess[]) {
  return spawnServerRole(fileURLToPath(import.meta.url), args, children);
}

function fmt(f: { rps: number; p99: number; reads: number }): string {
  return `${f.rps.toFixed(0)} req/s p99 ${f.p99.toFixed(0)} ms, ${f.reads.toFixed(1)} HGETALL/answer`;
}
