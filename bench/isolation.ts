/**
 * Isolation benchmark (issue 19): what API load costs ingest in the `all` role. Each round runs
 * the same stream three times, each into a fresh service process (`node bin/stats-server.js`) on
 * one private redis-server:
 *
 *   ingest        --role ingest: the ingest rate with nothing else in the process (the ceiling)
 *   all           --role all: the ingest rate, and the latency of an executed GraphQL query
 *   all + flood   --role all while two graphql-ws connections flood `series` subscribe+complete
 *                 pairs (the fault test's flood, from a separate process): the same two figures
 *
 * Ingest rate = events sent / time from the first sent to the last counted in Redis; the stream
 * comes from a publisher process as fast as it can send (a send high-water mark it never reaches,
 * so nothing is dropped and the rate is what the service takes in). Latency = p99 of a `stats`
 * query with a new account each time (executed, never the answer cache), one at a time, every
 * 25 ms during the stream, from this process. Reported as medians of the rounds, with ratios.
 *
 *   npm run bench:isolation                    3 rounds of 60,000 events
 *   BENCH_EVENTS=200000 BENCH_ROUNDS=5 npm run bench:isolation
 */
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type ServerProcess, spawnServer, trackTotal } from "../test/helpers/ingest.js";
import { eventually, sleep } from "../test/helpers/ports.js";
import { type ChildPublisher, EXACT_HWM, spawnChildPublisher } from "../test/helpers/publisher-child.js";
import { startRedis, type TestRedis } from "../test/helpers/redis.js";
import { connectFloodClient, floodSeries } from "../test/helpers/series-flood.js";
import { wiring } from "../test/helpers/service.js";
import { median } from "./server-role.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3);
const EVENTS = Number(process.env["BENCH_EVENTS"] ?? 60_000);
/** Asked of the publisher; it sends as fast as it can up to this. */
const RATE = 1_000_000;
const ACCOUNTS = Array.from({ length: 20 }, (_, i) => `bench-${i}`);
const PAIRS = 10_000;
/** No stream may take longer than this to be counted, whatever happens. */
const COUNT_LIMIT_MS = 60_000;
const PROBE_EVERY_MS = 25;
const PROBE =
  'query Probe($account: String!, $year: Int!) { stats(account: $account, event: "pageview", year: $year) { total } }';

type Scenario = "ingest" | "all" | "all + flood";
interface Figures {
  rate: number;
  p99Ms: number;
  probes: number;
}

/** The flood, in a process of its own (its client work must not slow this process's probes). */
async function floodRole(url: string, seed: number): Promise<void> {
  // The service is killed in mid-flood at the end of the scenario; nothing of that matters here.
  process.on("uncaughtException", (err) => process.stderr.write(`flood: ${String(err)}\n`));
  const client = await connectFloodClient(url);
  process.stdout.write("connected\n");
  // Both floods start together, once both are connected: a service busy with one flood would
  // answer the other's connection_init only after it.
  await new Promise((resolve) => process.stdin.once("data", resolve));
  const pairs = await floodSeries(client, { pairs: PAIRS, seed, accounts: ACCOUNTS });
  process.stdout.write(`sent ${pairs}\n`);
  // Stays connected until killed: the service works through what it received.
  await new Promise(() => {});
}

/** Resolves once the flood process is connected; it floods when it reads a line on stdin. */
function spawnFlood(url: string, seed: number, children: ChildProcess[]): Promise<void> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "flood", url, String(seed)],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`flood exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", () => resolve());
  });
}

/** p99 of `xs` (nearest rank). */
function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)] ?? Number.NaN;
}

async function runScenario(redis: TestRedis, pub: ChildPublisher, scenario: Scenario, round: number): Promise<Figures> {
  const prefix = redis.prefix();
  const role = scenario === "ingest" ? "ingest" : "all";
  const since = Date.now();
  const server: ServerProcess = await spawnServer([
    ...wiring(redis.url, pub.endpoint, prefix),
    "--role",
    role,
    "--log-level",
    "warn",
  ]);
  const children: ChildProcess[] = [];
  try {
    await pub.subscribedAfter(since);
    await eventually(async () => (await fetch(`${server.url}/readyz`)).status === 200, "service ready", 20_000);
    if (scenario === "all + flood") {
      await Promise.all([0, 1].map((i) => spawnFlood(server.url, (round * 2 + i) * PAIRS, children)));
      for (const child of children) child.stdin?.write("go\n");
    }

    const year = new Date().getUTCFullYear();
    const latencies: number[] = [];
    let counting = true;
    // A query still unanswered when the stream is counted is aborted and counts with the time it
    // has waited so far (under the flood it may wait minutes more): its latency is at least that.
    const abort = new AbortController();
    const probing = (async () => {
      if (role !== "all") return;
      for (let i = 0; counting; i++) {
        const started = performance.now();
        try {
          const res = await fetch(`${server.url}/graphql`, {
            method: "POST",
            headers: { "content-type": "application/json", accept: "application/json" },
            body: JSON.stringify({ query: PROBE, variables: { account: `probe-${round}-${i}`, year } }),
            signal: abort.signal,
          });
          const body = (await res.json()) as { data?: { stats?: { total: number } } };
          if (body.data?.stats?.total !== 0) throw new Error(`probe answered ${JSON.stringify(body)}`);
        } catch (err) {
          if (!abort.signal.aborted) throw err;
        }
        latencies.push(performance.now() - started);
        await sleep(PROBE_EVERY_MS);
      }
    })();

    const started = performance.now();
    const streaming = pub.stream({ accounts: ACCOUNTS, rate: RATE, count: EVENTS });
    await eventually(
      async () => (await trackTotal(redis.client, prefix, "all")) === EVENTS,
      `${EVENTS} events counted (${scenario})`,
      COUNT_LIMIT_MS,
    );
    const elapsed = performance.now() - started;
    counting = false;
    abort.abort();
    await streaming;
    await probing;
    return { rate: EVENTS / (elapsed / 1000), p99Ms: p99(latencies), probes: latencies.length };
  } finally {
    for (const child of children) child.kill("SIGKILL");
    // In mid-flood the API may have much left to do: nothing of it matters any more.
    await server.stop("SIGKILL");
  }
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const pub = await spawnChildPublisher(undefined, { sendHighWaterMark: EXACT_HWM });
  const results: Record<Scenario, Figures[]> = { ingest: [], all: [], "all + flood": [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const scenario of Object.keys(results) as Scenario[]) {
        const f = await runScenario(redis, pub, scenario, round);
        results[scenario].push(f);
        process.stderr.write(
          `round ${round + 1} ${scenario.padEnd(11)} ${Math.round(f.rate)} events/s` +
            (f.probes > 0 ? `, p99 ${f.p99Ms.toFixed(1)} ms over ${f.probes} queries` : "") +
            "\n",
        );
      }
    }
  } finally {
    await pub.kill();
    await redis.stop();
  }
  const rate = (s: Scenario) => median(results[s].map((f) => f.rate));
  const lat = (s: Scenario) => median(results[s].map((f) => f.p99Ms));
  const ceiling = rate("ingest");
  console.log(
    `\nisolation: ${EVENTS} events per stream, median of ${ROUNDS} rounds (ingest rate: sent → counted in Redis)`,
  );
  console.log(`  ingest role alone (ceiling)   ${Math.round(ceiling)} events/s`);
  for (const s of ["all", "all + flood"] as const) {
    console.log(
      `  ${`all role${s === "all" ? "" : ", API flood"}`.padEnd(29)} ${Math.round(rate(s))} events/s = ${(rate(s) / ceiling).toFixed(2)} x ceiling; GraphQL query p99 ${lat(s).toFixed(1)} ms`,
    );
  }
  console.log(
    `  under the flood: ingest ${(rate("all + flood") / rate("all")).toFixed(2)} x, query p99 ${(lat("all + flood") / lat("all")).toFixed(1)} x the all role without it`,
  );
}

if (process.argv[2] === "flood") await floodRole(process.argv[3] as string, Number(process.argv[4]));
else await main();
