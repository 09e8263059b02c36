/**
 * GraphQL benchmark, every figure beside a ceiling measured in the same run, against the same
 * private redis-server. Each server runs in its own process (NODE_ENV=production); the load
 * generator and the clients run in this one. Medians of several rounds; rounds alternate order.
 *
 * 1. Queries: `stats` for a 30-day month, by GET and by POST, against a bare node:http server
 *    answering one HGETALL (the ceiling), with autocannon.
 * 2. Live fan-out: N graphql-ws and N SSE subscribers to one period; one event per tick on a real
 *    ZeroMQ socket; latency from publish to client receipt, and server CPU per delivered message,
 *    against a bare server that broadcasts one pre-serialised frame per event over plain ws + SSE.
 *
 *   npm run bench:graphql [-- --only http|live --match TEXT --rounds 3 --seconds 5 --connections 50
 *                            --subscribers 1000 --ticks 50 --tick-ms 93 --flush-ms 100 --flush-eager
 *                            --transport both|ws|sse --cpu-prof DIR]
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, request, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import WebSocket, { WebSocketServer } from "ws";
import { Subscriber } from "zeromq";
import { startService } from "../src/commands/serve.js";
import { createLogger } from "../src/log.js";
import { eventually, sleep } from "../test/helpers/ports.js";
import { startRedis } from "../test/helpers/redis.js";
import { testConfig } from "../test/helpers/service.js";
import { pageview, startPublisher } from "../test/helpers/zmq.js";
import {
  exitWithParent,
  intOption,
  listenAndAnnounce,
  median,
  serveBareHgetall,
  spawnRole as spawnServerRole,
  stopChild,
} from "./server-role.js";

const KEY_PREFIX = "bench:";
const MONTH_KEY = `${KEY_PREFIX}track:acme:pageview:2026:11`;
const STATS_QUERY =
  "query Month($account: String!, $event: String!, $year: Int!, $month: Int) { stats(account: $account, event: $event, year: $year, month: $month) { total segments { key count } } }";
const STATS_VARIABLES = { account: "acme", event: "pageview", year: 2026, month: 11 };
const LIVE_QUERY =
  "subscription Live($account: String!, $event: String!, $year: Int!) { stats(account: $account, event: $event, year: $year) { total segments { key count } } }";
const TOTAL = /"total":(\d+)/;
/** The Accept headers of the clients dashboards use (none: graphql-request, curl without -H). */
const CLIENT_ACCEPTS: Record<string, string | undefined> = {
  json: "application/json",
  apollo: "application/graphql-response+json,application/json;q=0.9",
  urql: "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed",
  none: undefined,
};
/** USER_HZ: /proc reports CPU time in these ticks (100 on Linux x86-64 and arm64). */
const TICKS_PER_SECOND = 100;

/** Set once by main(); read when spawning server processes. */
const settings: { cpuProfDir: string | undefined } = { cpuProfDir: undefined };

const [role, ...roleArgs] = process.argv.slice(2);
if (role === "serve-graphql") await serveGraphql(roleArgs);
else if (role === "serve-bare") await serveBareHgetall(roleArgs[0] as string, MONTH_KEY);
else if (role === "serve-bare-fanout") await serveBareFanout(roleArgs[0] as string);
else await main(parseArgs(process.argv.slice(2)));

function parseArgs(argv: string[]) {
  const opt = (name: string, def: number, max: number) => intOption(argv, name, def, max);
  const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : undefined;
  const transport = argv.includes("--transport") ? argv[argv.indexOf("--transport") + 1] : "both";
  if (transport !== "both" && transport !== "ws" && transport !== "sse")
    throw new Error("--transport must be both, ws or sse");
  if (only !== undefined && only !== "http" && only !== "live") throw new Error("--only must be http or live");
  const prof = argv.indexOf("--cpu-prof");
  return {
    /** Directory for V8 CPU profiles of every server process (open them in Chrome DevTools). */
    cpuProfDir: prof < 0 ? undefined : (argv[prof + 1] ?? "."),
    only,
    /** Only the query targets whose label contains this (the ceiling always runs). */
    match: argv.includes("--match") ? argv[argv.indexOf("--match") + 1] : undefined,
    transport,
    rounds: opt("rounds", 3, 15),
    seconds: opt("seconds", 5, 30),
    connections: opt("connections", 50, 500),
    subscribers: opt("subscribers", 1000, 10000),
    ticks: opt("ticks", 50, 1000),
    // Not a multiple of the flush interval: the events' phase against the flush timer sweeps the
    // whole interval during a run, so the latencies include the worst phase.
    tickMs: opt("tick-ms", 93, 5000),
    flushMs: opt("flush-ms", 100, 5000),
    /** Our service with --flush-eager (flush as soon as the previous flush is done). */
    flushEager: argv.includes("--flush-eager"),
  };
}
type Options = ReturnType<typeof parseArgs>;

async function main(opts: Options): Promise<void> {
  settings.cpuProfDir = opts.cpuProfDir;
  const redis = await startRedis();
  const children: ChildProcess[] = [];
  try {
    console.log("2 cores shared by the servers, the load generator, redis-server and other work: medians, ratios.");
    if (opts.only !== "live") await benchQueries(opts, redis.url, children);
    if (opts.only !== "http") await benchFanout(opts, redis.url, children);
  } finally {
    await Promise.all(children.map(stopChild));
    await redis.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 1. queries

interface HttpFigures {
  rps: number;
  p99: number;
  /** CPU time (user + system) the server spent per request, in µs. */
  cpuUs: number;
}

interface HttpTarget {
  label: string;
  pid: number;
  request: { url: string; method?: "GET" | "POST"; body?: string; headers?: Record<string, string> };
  check: (body: string) => boolean;
  /** Makes every request's body unique (an unused variable counts up): no answer can come from the cache. */
  uncached?: boolean;
  runs: HttpFigures[];
}

async function benchQueries(opts: Options, redisUrl: string, children: ChildProcess[]): Promise<void> {
  const seed = new Redis(redisUrl);
  const days: Record<string, number> = {};
  for (let d = 1; d <= 30; d++) days[String(d)] = 1000 + d * 37;
  await seed.hset(MONTH_KEY, days);
  seed.disconnect();

  const bare = await spawnRole(["serve-bare", redisUrl], children);
  const gql = await spawnRole(["serve-graphql", redisUrl, "api"], children);
  const get = `${gql.url}/graphql?${new URLSearchParams({ query: STATS_QUERY, variables: JSON.stringify(STATS_VARIABLES) })}`;
  const total = Object.values(days).reduce((a, b) => a + b, 0);
  const all: HttpTarget[] = [
    {
      label: "ceiling: bare node:http + HGETALL",
      pid: bare.pid,
      request: { url: `${bare.url}/` },
      check: (b) => b.includes('"30":"2110"'),
      runs: [],
    },
    {
      label: "GraphQL stats (GET)",
      pid: gql.pid,
      request: { url: get, headers: { accept: "application/json", "x-graphql-yoga-csrf": "1" } },
      check: (b) => b.includes(`"total":${total}`),
      runs: [],
    },
    // The Accept lists real clients send: each executed (every body unique) and cached.
    ...Object.entries(CLIENT_ACCEPTS).flatMap(([client, accept]) =>
      [false, true].map(
        (uncached): HttpTarget => ({
          label: `POST ${client} ${uncached ? "executed" : "cached"}`,
          pid: gql.pid,
          request: {
            url: `${gql.url}/graphql`,
            method: "POST",
            body: JSON.stringify({ query: STATS_QUERY, variables: STATS_VARIABLES }),
            headers: { "content-type": "application/json", ...(accept === undefined ? {} : { accept }) },
          },
          check: (b) => b.includes(`"total":${total}`),
          uncached,
          runs: [],
        }),
      ),
    ),
  ];
  const targets = all.filter((t, i) => i === 0 || opts.match === undefined || t.label.includes(opts.match));
  for (const t of targets) {
    const { url, ...init } = t.request;
    const res = await fetch(url, init);
    const body = await res.text();
    if (res.status !== 200 || !t.check(body)) throw new Error(`${t.label} answered ${res.status}: ${body}`);
  }

  console.log(
    `\nqueries: ${opts.rounds} rounds × ${opts.seconds} s per target, ${opts.connections} connections (2 s warm-up each)`,
  );
  for (const t of targets) await load(t, 2, opts.connections);
  for (let round = 0; round < opts.rounds; round++) {
    for (const t of round % 2 === 0 ? targets : [...targets].reverse()) {
      t.runs.push(await load(t, opts.seconds, opts.connections));
    }
    console.log(`  round ${round + 1}: ${targets.map((t) => fmtHttp(t.runs.at(-1))).join(" | ")}`);
  }

  const [ceiling] = targets as [HttpTarget];
  console.log(`\nqueries, medians of ${opts.rounds} rounds:`);
  for (const t of targets) {
    const m = {
      rps: median(t.runs.map((f) => f.rps)),
      p99: median(t.runs.map((f) => f.p99)),
      cpuUs: median(t.runs.map((f) => f.cpuUs)),
    };
    const ratio = median(t.runs.map((f, i) => f.rps / (ceiling.runs[i] as HttpFigures).rps));
    // Executed: ≥ 60% of the ceiling with p99 ≤ 20 ms; cached: ≥ 120% of it.
    const met = t.uncached ? ratio >= 0.6 && m.p99 <= 20 : ratio >= 1.2;
    const verdict =
      t === ceiling
        ? ""
        : `  ${pct(ratio)} of ceiling${t.uncached ? " (every request executed)" : " (cache hits)"}; target ${met ? "met" : "NOT met"}`;
    console.log(`  ${t.label.padEnd(36)} ${fmtHttp(m)}${verdict}`);
  }
  console.log(
    "  targets: executed ≥ 60% of the ceiling's req/s with p99 ≤ 20 ms; cached ≥ 120% (ratios are per round, then the median)",
  );
}

async function load(t: HttpTarget, seconds: number, connections: number): Promise<HttpFigures> {
  const cpuBefore = cpuMs(t.pid);
  let n = 0;
  const unique = t.uncached
    ? {
        requests: [
          {
            setupRequest: (req: autocannon.Request) => ({
              ...req,
              body: JSON.stringify({ query: STATS_QUERY, variables: { ...STATS_VARIABLES, unused: n++ } }),
            }),
          },
        ],
      }
    : {};
  const r = await autocannon({ ...t.request, ...unique, connections, duration: seconds });
  const cpu = cpuMs(t.pid) - cpuBefore;
  if (r.errors > 0 || r.non2xx > 0) throw new Error(`${t.label}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
  return { rps: r.requests.average, p99: r.latency.p99, cpuUs: (cpu * 1000) / Math.max(1, r.requests.total) };
}

// ---------------------------------------------------------------------------------------------
// 2. live fan-out

interface LiveFigures {
  p50: number;
  p99: number;
  max: number;
  delivered: number;
  /** Server CPU (user + system) per delivered message, µs. */
  cpuUs: number;
  /** Server CPU over the ticks, as a fraction of one core. */
  cores: number;
  /** This process's CPU over the ticks (the clients), as a fraction of one core: near 1, the clients are the bottleneck. */
  clientCores: number;
  missed: number;
}

async function benchFanout(opts: Options, redisUrl: string, children: ChildProcess[]): Promise<void> {
  const n = opts.subscribers;
  console.log(
    `\nlive fan-out: ${n} graphql-ws + ${n} SSE subscribers to one period, ${opts.ticks} events, one per ${opts.tickMs} ms;` +
      ` our flush interval ${opts.flushMs} ms${opts.flushEager ? " with --flush-eager" : ""}; ${opts.rounds} rounds`,
  );
  const ours: LiveFigures[] = [];
  const bare: LiveFigures[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    for (const which of round % 2 === 0 ? ["bare", "ours"] : ["ours", "bare"]) {
      const pub = await startPublisher();
      const server =
        which === "bare"
          ? await spawnRole(["serve-bare-fanout", pub.endpoint], children)
          : await spawnRole(
              [
                "serve-graphql",
                redisUrl,
                "all",
                pub.endpoint,
                String(opts.flushMs),
                `${KEY_PREFIX}r${round}:`,
                String(opts.flushEager),
              ],
              children,
            );
      try {
        await pub.waitForSubscribers();
        const figures = await fanoutRound(which === "bare" ? "bare" : "graphql", server, pub, opts);
        (which === "bare" ? bare : ours).push(figures);
      } finally {
        pub.close();
        await stopChild(server.child);
      }
    }
    console.log(`  round ${round + 1}: ceiling ${fmtLive(bare.at(-1))} | ours ${fmtLive(ours.at(-1))}`);
  }
  const med = (runs: LiveFigures[]): LiveFigures => ({
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    max: median(runs.map((r) => r.max)),
    delivered: median(runs.map((r) => r.delivered)),
    cpuUs: median(runs.map((r) => r.cpuUs)),
    cores: median(runs.map((r) => r.cores)),
    clientCores: median(runs.map((r) => r.clientCores)),
    missed: Math.max(...runs.map((r) => r.missed)),
  });
  const b = med(bare);
  const o = med(ours);
  const target = opts.flushMs + 50;
  console.log(`\nlive fan-out, medians of ${opts.rounds} rounds (latency: ZeroMQ publish → client receipt):`);
  console.log(`  ceiling: bare ws + SSE broadcast of one frame  ${fmtLive(b)}`);
  console.log(`  GraphQL: graphql-ws + SSE subscriptions        ${fmtLive(o)}`);
  console.log(
    `  target p99 ≤ flush interval + 50 ms = ${target} ms: ${o.p99 <= target && o.missed === 0 ? "met" : "NOT met"};` +
      ` CPU per message ${(o.cpuUs / b.cpuUs).toFixed(1)}× the ceiling's; p99 beyond the flush interval ${Math.max(0, o.p99 - opts.flushMs).toFixed(0)} ms vs the ceiling's ${b.p99.toFixed(0)} ms`,
  );
}

interface Client {
  /** Receipt time (performance.now) of the first message at or past each total. */
  firstAt: Map<number, number>;
  close(): void;
}

async function fanoutRound(
  kind: "bare" | "graphql",
  server: { url: string; pid: number },
  pub: Awaited<ReturnType<typeof startPublisher>>,
  opts: Options,
): Promise<LiveFigures> {
  const clients: Client[] = [];
  const ready: Array<Promise<void>> = [];
  // Connect in batches, so the servers see a ramp rather than a SYN flood.
  for (let i = 0; i < opts.subscribers; i += 100) {
    for (let j = i; j < Math.min(i + 100, opts.subscribers); j++) {
      if (opts.transport !== "sse") {
        const ws = wsClient(kind, server.url);
        clients.push(ws.client);
        ready.push(ws.ready);
      }
      if (opts.transport !== "ws") {
        const sse = sseClient(kind, server.url);
        clients.push(sse.client);
        ready.push(sse.ready);
      }
    }
    await Promise.all(ready);
  }
  await sleep(500);
  // Counts before the first tick (the snapshot; 0 on a fresh key space).
  const start = Math.max(0, ...clients.flatMap((c) => [...c.firstAt.keys()]));

  const sentAt: number[] = [];
  const tickStartUs = process.hrtime.bigint() / 1000n;
  const cpuBefore = cpuMs(server.pid);
  const clientCpuBefore = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 1; i <= opts.ticks; i++) {
    const due = t0 + (i - 1) * opts.tickMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    sentAt[i] = performance.now();
    await pub.send(pageview("fan"));
  }
  // Give the last event a flush and a delivery.
  await eventually(
    () => clients.every((c) => c.firstAt.has(start + opts.ticks)),
    "every client saw the last event",
    5_000,
  ).catch(() => undefined);
  const elapsed = performance.now() - t0;
  const cpu = cpuMs(server.pid) - cpuBefore;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  if (settings.cpuProfDir) {
    // CLOCK_MONOTONIC µs, the clock of a .cpuprofile's startTime: cut the profile to the ticks.
    console.log(`  ${kind} ticks, monotonic µs: ${tickStartUs}..${process.hrtime.bigint() / 1000n}`);
  }

  const latencies: number[] = [];
  let missed = 0;
  let delivered = 0;
  for (const c of clients) {
    const seen = [...c.firstAt.entries()].filter(([total]) => total > start).sort((a, b) => a[0] - b[0]);
    delivered += seen.length;
    for (let i = 1; i <= opts.ticks; i++) {
      // The first message at or past this event's total is the one that carried it.
      const hit = seen.find(([total]) => total >= start + i);
      if (!hit) missed++;
      else latencies.push(hit[1] - (sentAt[i] as number));
    }
  }
  for (const c of clients) c.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return {
    p50: q(0.5),
    p99: q(0.99),
    max: latencies.at(-1) ?? Number.NaN,
    delivered,
    cpuUs: (cpu * 1000) / Math.max(1, delivered),
    cores: cpu / elapsed,
    clientCores: (clientCpu.user + clientCpu.system) / 1000 / elapsed,
    missed,
  };
}

function record(client: Client, text: string): void {
  const m = TOTAL.exec(text);
  if (!m) return;
  const total = Number(m[1]);
  if (!client.firstAt.has(total)) client.firstAt.set(total, performance.now());
}

function wsClient(kind: "bare" | "graphql", url: string): { client: Client; ready: Promise<void> } {
  const wsUrl = `${url.replace(/^http/, "ws")}${kind === "bare" ? "/ws" : "/graphql"}`;
  const socket = kind === "bare" ? new WebSocket(wsUrl) : new WebSocket(wsUrl, "graphql-transport-ws");
  const client: Client = { firstAt: new Map(), close: () => socket.terminate() };
  const ready = new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.on("open", () => {
      if (kind === "bare") return resolve();
      socket.send(JSON.stringify({ type: "connection_init" }));
    });
    socket.on("message", (data) => {
      const text = String(data);
      if (text.startsWith('{"type":"connection_ack"')) {
        socket.send(
          JSON.stringify({
            id: "1",
            type: "subscribe",
            payload: { query: LIVE_QUERY, variables: { account: "fan", event: "pageview", year: yearNow() } },
          }),
        );
        return;
      }
      if (text.includes('"type":"ping"')) {
        socket.send('{"type":"pong"}');
        return;
      }
      record(client, text);
      resolve();
    });
  });
  return { client, ready };
}

function sseClient(kind: "bare" | "graphql", url: string): { client: Client; ready: Promise<void> } {
  const body = JSON.stringify({ query: LIVE_QUERY, variables: { account: "fan", event: "pageview", year: yearNow() } });
  const req = request(`${url}${kind === "bare" ? "/sse" : "/graphql"}`, {
    method: kind === "bare" ? "GET" : "POST",
    agent: false,
    headers: { accept: "text/event-stream", "content-type": "application/json" },
  });
  const client: Client = { firstAt: new Map(), close: () => req.destroy() };
  const ready = new Promise<void>((resolve, reject) => {
    req.once("error", reject);
    req.on("response", (res) => {
      res.setEncoding("utf8");
      if (kind === "bare") resolve();
      let buffer = "";
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (event.includes("data: {")) {
            record(client, event);
            resolve();
          }
          end = buffer.indexOf("\n\n");
        }
      });
    });
  });
  req.end(kind === "bare" ? undefined : body);
  return { client, ready };
}

// ---------------------------------------------------------------------------------------------
// server roles (child processes)

/** Our service: `api` (queries) or `all` (ingest + live, for the fan-out). */
async function serveGraphql([redisUrl, serviceRole, zmq, flushMs, prefix, eager]: string[]): Promise<void> {
  const flags = ["--role", serviceRole as string, "--redis", redisUrl as string, "--log-level", "error"];
  flags.push("--key-prefix", prefix ?? KEY_PREFIX);
  // Thousands of subscribers from one address (127.0.0.1): no operation rate per address.
  flags.push("--max-operation-rate", "0");
  if (zmq) flags.push("--zmq", zmq, "--flush-interval", `${flushMs ?? 100}ms`);
  if (eager === "true") flags.push("--flush-eager");
  const config = testConfig(flags);
  const service = await startService(config, createLogger(config.logLevel), { defaultMetrics: false });
  await eventually(() => service.store.ping().then(() => true), "redis reachable from the service");
  process.stdout.write(`${service.url}\n`);
  exitWithParent(() => service.stop());
}

/**
 * The fan-out ceiling: every ZeroMQ message bumps a counter and broadcasts one pre-serialised
 * frame (the same shape and size as our Stats message) to every ws and SSE client. No Redis, no
 * flush interval, no GraphQL.
 */
async function serveBareFanout(endpoint: string): Promise<void> {
  const sse = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (req.url !== "/sse") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    res.write(":\n\n");
    sse.add(res);
    res.on("close", () => sse.delete(res));
  });
  const wss = new WebSocketServer({ server, path: "/ws" });
  const sub = new Subscriber();
  sub.subscribe("");
  sub.connect(endpoint);
  await listenAndAnnounce(server);
  const segments = Array.from({ length: 12 }, (_, i) => ({ key: i + 1, count: 0 }));
  let total = 0;
  exitWithParent();
  for await (const _frames of sub) {
    total++;
    (segments[0] as { count: number }).count = total;
    const json = JSON.stringify({ data: { stats: { total, segments } } });
    const wsFrame = `{"id":"1","type":"next","payload":${json}}`;
    const sseFrame = `event: next\ndata: ${json}\n\n`;
    for (const ws of wss.clients) ws.send(wsFrame);
    for (const res of sse) res.write(sseFrame);
  }
}

// ---------------------------------------------------------------------------------------------
// plumbing
/** Starts this file in a child process in a server role (with --cpu-prof when asked); resolves with the URL it prints. */
function spawnRole(args: string[], children: ChildProcess[]) {
  const prof = settings.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", `${settings.cpuProfDir}/${args[0]}`] : [];
  return spawnServerRole(fileURLToPath(import.meta.url), args, children, prof);
}

/** User + system CPU time of a process so far, from /proc (Linux), in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

function yearNow(): number {
  return new Date().getUTCFullYear();
}

function pct(x: number): string {
  return `${(x * 100).toFixed(0)}%`;
}

function fmtHttp(f: HttpFigures | undefined): string {
  if (!f) return "-";
  return `${Math.round(f.rps).toLocaleString("en-US").padStart(7)} req/s  p99 ${String(f.p99).padStart(3)} ms  ${f.cpuUs.toFixed(0).padStart(3)} µs CPU/req`;
}

function fmtLive(f: LiveFigures | undefined): string {
  if (!f) return "-";
  return (
    `p50 ${f.p50.toFixed(0)} ms  p99 ${f.p99.toFixed(0)} ms  max ${f.max.toFixed(0)} ms  ` +
    `${f.delivered} msgs  ${f.cpuUs.toFixed(0)} µs CPU/msg  ${f.cores.toFixed(2)} cores (clients ${f.clientCores.toFixed(2)})` +
    (f.missed ? `  MISSED ${f.missed}` : "")
  );
}
