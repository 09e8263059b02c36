/**
 * Scale-out benchmark: the same work done by 1 and by 2 processes, each pair in one run.
 *
 * 1. Ingest: events/s from one ZeroMQ publisher into Redis with 1 ingest process (`--shard 0/1`)
 *    and with 2 (`--shard 0/2`, `--shard 1/2`). Every shard receives and decodes the whole stream
 *    and counts only its accounts.
 * 2. Queries: executed (uncached) GraphQL `stats` req/s against 1 API process and against 2 (the
 *    load split evenly, as a load balancer would), with autocannon in this process.
 *
 * Beside each pair: the ratio (2 processes / 1; the ceiling is 2.0) and the CPU split — CPU time
 * of every process over the measured interval, as a share of one core. The machine has 2 cores,
 * shared with redis-server, the publisher or load generator, and other work: the split shows
 * where the next bottleneck is. Medians of several rounds; rounds alternate the order.
 *
 *   npm run bench:scale [-- --rounds 3 --events 300000 --accounts 200 --seconds 5 --connections 40]
 */
import { type ChildProcess, execFileSync, fork, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { eventually, freePort, sleep } from "../test/helpers/ports.js";
import { startRedis, type TestRedis } from "../test/helpers/redis.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    events: { type: "string", default: "300000" },
    accounts: { type: "string", default: "200" },
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "40" },
    only: { type: "string", default: "" },
  },
});
const ROUNDS = Number(values.rounds);
const EVENTS = Number(values.events);
const ACCOUNTS = Number(values.accounts);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const ROUND_LIMIT_MS = 180_000;
const SETTLE_MS = 5_000;
const TICKS_PER_SECOND = 100;

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const BIN = here("../bin/stats-server.js");

const STATS_QUERY =
  "query Month($account: String!, $event: String!, $year: Int!, $month: Int) { stats(account: $account, event: $event, year: $year, month: $month) { total segments { key count } } }";
const STATS_VARIABLES = { account: "acme", event: "pageview", year: 2026, month: 11 };

/** User + system CPU time of a process so far, from /proc (Linux), in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

function redisPid(redis: TestRedis): number {
  const info = execFileSync("redis-cli", ["-p", String(redis.port), "info", "server"], { encoding: "utf8" });
  return Number(/process_id:(\d+)/.exec(info)?.[1]);
}

interface Proc {
  name: string;
  pid: number;
}
/** CPU of each process over an interval, as a share of one core. */
function cpuSplit(procs: Proc[], before: number[], ms: number): Record<string, number> {
  return Object.fromEntries(procs.map((p, i) => [p.name, (cpuMs(p.pid) - (before[i] as number)) / ms]));
}

const children: ChildProcess[] = [];

/** Starts `stats-server` with `args` on a free port (NODE_ENV=production); resolves once /healthz answers. */
async function startServer(name: string, args: string[]): Promise<Proc & { url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, ...args, "--http", `127.0.0.1:${port}`, "--log-level", "fatal"], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${url}/healthz`)).ok, `${name} up`, 60_000);
  return { name, pid: child.pid as number, url, child };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  if (child.connected) child.send({ type: "exit" });
  else child.kill("SIGTERM");
  const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(kill);
}

function next(child: ChildProcess, type: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${type}" from child ${child.pid}`)), ROUND_LIMIT_MS);
    const on = (m: { type?: string }) => {
      if (m?.type !== type) return;
      clearTimeout(timer);
      child.off("message", on);
      resolve(m as Record<string, number>);
    };
    child.on("message", on);
  });
}

interface Figures {
  rate: number;
  cpu: Record<string, number>;
  note: string;
}

// ---------------------------------------------------------------------------------------------
// 1. ingest: 1 vs 2 shards

async function ingestRound(redis: TestRedis, shards: number, round: number): Promise<Figures> {
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  const prefix = `scale${round}x${shards}:`;
  const pub = fork(
    here("./ingest-publisher.ts"),
    [
      "--endpoint",
      endpoint,
      "--count",
      String(EVENTS),
      "--accounts",
      String(ACCOUNTS),
      "--subscribers",
      String(shards),
    ],
    { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  children.push(pub);
  const servers: Array<Proc & { url: string; child: ChildProcess }> = [];
  try {
    for (let i = 0; i < shards; i++) {
      // The default --zmq-hwm and --heartbeat, as deployed: the burst outruns the processes, which
      // once made libzmq abort them (zeromq/libzmq#3937; see src/ingest/zmq-consumer.ts).
      const args = ["--role", "ingest", "--shard", `${i}/${shards}`, "--redis", redis.url, "--zmq", endpoint];
      servers.push(await startServer(`ingest ${i}/${shards}`, [...args, "--key-prefix", prefix]));
    }
    const procs: Proc[] = [
      ...servers,
      { name: "publisher", pid: pub.pid as number },
      { name: "redis", pid: redisPid(redis) },
    ];
    // A process that dies mid-round voids the round.
    let died = "";
    for (const [name, child] of [...servers.map((s) => [s.name, s.child] as const), ["publisher", pub] as const]) {
      child.once("exit", (code, signal) => {
        died ||= `${name} exited (${signal ?? code})`;
      });
    }
    const startedMsg = await next(pub, "started");
    const before = procs.map((p) => cpuMs(p.pid));
    const t0 = Number(startedMsg["at"]);
    const year = new Date().getUTCFullYear();
    const counted = async () => {
      let n = 0;
      for (const v of await redis.client.hvals(`${prefix}track:all:pageview:${year}`)) n += Number(v);
      return n;
    };
    let n = 0;
    let lastChange = Date.now();
    let doneAt = Date.now();
    const limit = Date.now() + ROUND_LIMIT_MS;
    for (;;) {
      const now = await counted();
      if (now !== n) {
        n = now;
        lastChange = doneAt = Date.now();
      }
      if (died) throw new Error(`round void: ${died}`);
      if (n >= EVENTS || Date.now() - lastChange > SETTLE_MS || Date.now() > limit) break;
      await sleep(10);
    }
    const cpu = cpuSplit(procs, before, doneAt - t0);
    return { rate: n / ((doneAt - t0) / 1000), cpu, note: n === EVENTS ? "" : `counted ${n} of ${EVENTS}` };
  } finally {
    await stop(pub);
    await Promise.all(servers.map((s) => stop(s.child)));
  }
}

// ---------------------------------------------------------------------------------------------
// 2. executed queries: 1 vs 2 API processes

async function queryRound(redis: TestRedis, apis: Array<Proc & { url: string }>, count: number): Promise<Figures> {
  const targets = apis.slice(0, count);
  const procs: Proc[] = [
    ...targets,
    { name: "load generator", pid: process.pid },
    { name: "redis", pid: redisPid(redis) },
  ];
  const before = procs.map((p) => cpuMs(p.pid));
  const t0 = Date.now();
  let n = 0;
  const results = await Promise.all(
    targets.map((t) =>
      autocannon({
        url: `${t.url}/graphql`,
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        connections: Math.max(1, Math.round(CONNECTIONS / count)),
        duration: SECONDS,
        // A variable that changes every request: no answer can come from the answer cache.
        requests: [
          {
            setupRequest: (req: autocannon.Request) => ({
              ...req,
              body: JSON.stringify({ query: STATS_QUERY, variables: { ...STATS_VARIABLES, unused: n++ } }),
            }),
          },
        ],
      }),
    ),
  );
  const ms = Date.now() - t0;
  const bad = results.reduce((a, r) => a + r.errors + r.non2xx, 0);
  if (bad > 0) throw new Error(`${bad} failed requests`);
  const rate = results.reduce((a, r) => a + r.requests.average, 0);
  const p99 = Math.max(...results.map((r) => r.latency.p99));
  return { rate, cpu: cpuSplit(procs, before, ms), note: `p99 ${p99} ms` };
}

// ---------------------------------------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const split = (cpu: Record<string, number>) =>
  Object.entries(cpu)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(", ");
const medianSplit = (runs: Figures[]) =>
  Object.fromEntries(Object.keys(runs[0]?.cpu ?? {}).map((k) => [k, median(runs.map((r) => r.cpu[k] ?? 0))]));

function report(what: string, unit: string, one: Figures[], two: Figures[]): void {
  const ratios = two.map((t, i) => t.rate / (one[i] as Figures).rate);
  const cores = (runs: Figures[]) => median(runs.map((r) => Object.values(r.cpu).reduce((a, b) => a + b, 0)));
  console.log(`\n${what}, medians of ${ROUNDS} rounds:`);
  console.log(
    `  1 process   ${fmt(median(one.map((r) => r.rate))).padStart(8)} ${unit}   CPU (cores): ${split(medianSplit(one))}; all ${cores(one).toFixed(2)}`,
  );
  console.log(
    `  2 processes ${fmt(median(two.map((r) => r.rate))).padStart(8)} ${unit}   CPU (cores): ${split(medianSplit(two))}; all ${cores(two).toFixed(2)}`,
  );
  console.log(`  ratio 2/1   ${median(ratios).toFixed(2)}× (median of per-round ratios; ideal 2.00×)`);
}

/** Runs a round again (at most twice more) when a process died during it; says so. */
async function retried<T>(round: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await round();
    } catch (err) {
      if (attempt >= 3 || !String(err).includes("round void")) throw err;
      console.log(`  (${String(err)}; running the round again)`);
    }
  }
}

async function main(): Promise<void> {
  const redis = await startRedis();
  try {
    console.log(
      "scale bench: 1 vs 2 processes, each pair in one round. This machine has 2 cores shared by every process\n" +
        "below (servers, redis-server, publisher or load generator) and by other work: read ratios and CPU shares.",
    );
    if (values.only !== "query") {
      console.log(`\ningest: ${fmt(EVENTS)} pageviews over ${ACCOUNTS} accounts per round, one publisher`);
      const one: Figures[] = [];
      const two: Figures[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const order = r % 2 === 0 ? [1, 2] : [2, 1];
        for (const k of order) (k === 1 ? one : two).push(await retried(() => ingestRound(redis, k, r)));
        for (const [k, f] of [
          [1, one.at(-1)],
          [2, two.at(-1)],
        ] as const) {
          console.log(
            `  round ${r + 1}, ${k} shard${k > 1 ? "s" : " "}: ${fmt(f?.rate ?? 0).padStart(8)} events/s  CPU ${split(f?.cpu ?? {})} ${f?.note ?? ""}`,
          );
        }
      }
      report("ingest", "events/s", one, two);
    }
    if (values.only !== "ingest") {
      const seed = redis.client;
      const days: Record<string, number> = {};
      for (let d = 1; d <= 30; d++) days[String(d)] = 1000 + d * 37;
      await seed.hset("scaleq:track:acme:pageview:2026:11", days);
      const apis = [
        await startServer("api 1", ["--role", "api", "--redis", redis.url, "--key-prefix", "scaleq:"]),
        await startServer("api 2", ["--role", "api", "--redis", redis.url, "--key-prefix", "scaleq:"]),
      ];
      console.log(
        `\nexecuted queries: stats of a 30-day month, uncached, ${CONNECTIONS} connections, ${SECONDS} s per run`,
      );
      const one: Figures[] = [];
      const two: Figures[] = [];
      await queryRound(redis, apis, 2); // warm-up
      for (let r = 0; r < ROUNDS; r++) {
        const order = r % 2 === 0 ? [1, 2] : [2, 1];
        for (const k of order) (k === 1 ? one : two).push(await queryRound(redis, apis, k));
        for (const [k, f] of [
          [1, one.at(-1)],
          [2, two.at(-1)],
        ] as const) {
          console.log(
            `  round ${r + 1}, ${k} API process${k > 1 ? "es" : "  "}: ${fmt(f?.rate ?? 0).padStart(7)} req/s  CPU ${split(f?.cpu ?? {})}  ${f?.note ?? ""}`,
          );
        }
      }
      report("executed queries", "req/s", one, two);
    }
  } finally {
    await Promise.all(children.map(stop));
    await redis.stop();
  }
}

await main();
