/**
 * REST month route vs. a bare node:http + ioredis HGETALL server (the ceiling), measured in the
 * same run against one private redis-server with autocannon (50 connections), in two modes:
 *
 * - cached: the same URL again and again, so the REST answer cache serves it; the ceiling reads
 *   one fixed hash (no routing at all).
 * - executed: every request names another account's month (ACCOUNTS of them, seeded with the same
 *   30 days, cycled in order: more distinct URLs than the answer cache holds, so none is served
 *   from it); the ceiling does the same work, an HGETALL of the key the URL names. Redis's own
 *   count of HGETALL calls per request is printed for every target, to show which were executed.
 *
 * Each server runs in its own process; rounds alternate the order; figures are medians. Beside
 * req/s it reports each server's CPU time per request (from /proc), which other load on the
 * machine disturbs less, and the year route (a small body) to separate the fixed cost per
 * request from the cost of a month's 30 fields and links.
 *
 *   npm run bench:rest [-- --rounds 5 --seconds 5 --connections 50 --wrk|--autocannon --path /api/stats/... --cpu-prof DIR --only cached|executed]
 */
import { type ChildProcess, execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { startService } from "../src/commands/serve.js";
import { createLogger } from "../src/log.js";
import { eventually } from "../test/helpers/ports.js";
import { startRedis } from "../test/helpers/redis.js";
import { testConfig } from "../test/helpers/service.js";
import { exitWithParent, intOption, median, serveBareHgetall, spawnRole, stopChild } from "./server-role.js";

const KEY_PREFIX = "bench:";
const MONTH_KEY = `${KEY_PREFIX}track:acme:pageview:2026:11`;
const MONTH_PATH = "/api/stats/track/acme/pageview/2026/11";
const YEAR_PATH = "/api/stats/track/acme/pageview/2026";
const PATH_PREFIX = "/api/stats";
/**
 * Accounts of the executed mode, each with the same month: four times what the answer cache holds
 * (5,000 answers, the oldest dropped first), so a URL comes back only long after it was dropped.
 */
const ACCOUNTS = 20_000;
const executedPath = (i: number) => `${PATH_PREFIX}/track/x${i}/pageview/2026/11`;

interface Figures {
  rps: number;
  p99: number;
  /** CPU time (user + system) the server spent per request, in µs. */
  cpuUs: number;
  /** The kernel's part of it (system time: socket reads and writes). */
  sysUs: number;
  /** Redis HGETALL calls per request (1 when every request was executed, about 0 when cached). */
  readsPerRequest: number;
}

/** USER_HZ: /proc reports CPU time in these ticks (100 on Linux x86-64 and arm64). */
const TICKS_PER_SECOND = 100;

/** wrk Lua scripts written so far, by the set of paths they cycle through (see wrkScript()). */
const wrkScripts = new Map<string[], string>();

const [role, redisUrl] = process.argv.slice(2);
if (role === "serve-rest") await serveRest(redisUrl as string);
else if (role === "serve-bare") await serveBareHgetall(redisUrl as string, MONTH_KEY, bareKeyOf);
else await main(parseArgs(process.argv.slice(2)));

function parseArgs(argv: string[]) {
  const opt = (name: string, def: number, max: number) => intOption(argv, name, def, max);
  const prof = argv.indexOf("--cpu-prof");
  return {
    rounds: opt("rounds", 5, 15),
    seconds: opt("seconds", 5, 30),
    connections: opt("connections", 50, 500),
    /**
     * Load generator: wrk when installed (`apt-get install wrk`; it needs far less CPU than
     * autocannon, which shares the 2 cores with the servers), else autocannon (a devDependency).
     */
    generator: (argv.includes("--autocannon")
      ? "autocannon"
      : argv.includes("--wrk") || hasWrk()
        ? "wrk"
        : "autocannon") as Generator,
    /** Another REST path to measure in place of the month route. */
    path: argv.includes("--path") ? (argv[argv.indexOf("--path") + 1] ?? MONTH_PATH) : MONTH_PATH,
    /** Directory for V8 CPU profiles of both servers, DIR/rest and DIR/bare (open them in Chrome DevTools). */
    cpuProfDir: prof < 0 ? undefined : (argv[prof + 1] ?? "."),
    /** Measure only one mode (both by default). */
    only: argv.includes("--only") ? (argv[argv.indexOf("--only") + 1] as "cached" | "executed") : undefined,
  };
}

async function main(opts: ReturnType<typeof parseArgs>): Promise<void> {
  const redis = await startRedis();
  const children: ChildProcess[] = [];
  try {
    // A month with a count on every day, and the year above it, as a busy account would have.
    const days: Record<string, number> = {};
    for (let d = 1; d <= 30; d++) days[String(d)] = 1000 + d * 37;
    await redis.client.hset(MONTH_KEY, days);
    await redis.client.hset(`${KEY_PREFIX}track:acme:pageview:2026`, { "11": 50_000 });
    if (opts.only !== "cached") {
      for (let from = 0; from < ACCOUNTS; from += 1_000) {
        const pipeline = redis.client.pipeline();
        for (let i = from; i < Math.min(ACCOUNTS, from + 1_000); i++)
          pipeline.hset(`${KEY_PREFIX}track:x${i}:pageview:2026:11`, days);
        await pipeline.exec();
      }
    }

    const prof = (name: string) =>
      opts.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", `${opts.cpuProfDir}/${name}`] : [];
    const bare = await spawnServer("serve-bare", redis.url, children, prof("bare"));
    const rest = await spawnServer("serve-rest", redis.url, children, prof("rest"));
    const target = (
      label: string,
      name: string,
      base: string,
      path: string,
      pid: number,
      paths?: string[],
    ): Target => ({
      label,
      name,
      base,
      path,
      pid,
      paths,
      runs: [],
    });
    const unique = Array.from({ length: ACCOUNTS }, (_, i) => executedPath(i));
    const cached = [
      target("ceiling", "bare node:http + ioredis HGETALL, one fixed key", bare.url, "/", bare.pid),
      target("REST", `REST month ${opts.path}, cached`, rest.url, opts.path, rest.pid),
      // Not the target: a year holding one month has a small body, which shows the fixed cost per request.
      target("REST/yr", `REST year ${YEAR_PATH} (1 field), cached`, rest.url, YEAR_PATH, rest.pid),
    ];
    const executed = [
      target(
        "ceil/x",
        `bare, HGETALL of the key the URL names (${ACCOUNTS} URLs)`,
        bare.url,
        executedPath(0),
        bare.pid,
        unique,
      ),
      target("REST/x", `REST month, executed (${ACCOUNTS} URLs, cycled)`, rest.url, executedPath(0), rest.pid, unique),
    ];
    const targets = opts.only === "cached" ? cached : opts.only === "executed" ? executed : [...cached, ...executed];
    for (const t of targets) {
      const res = await fetch(`${t.base}${t.path}`);
      const body = await res.text();
      if (res.status !== 200 || !body.includes('"1')) throw new Error(`${t.name} answered ${res.status}: ${body}`);
    }

    console.log(
      `${opts.generator}: warming up (2 s each), then ${opts.rounds} rounds × ${opts.seconds} s per target, ${opts.connections} connections`,
    );
    const hgetalls = async () =>
      Number(/cmdstat_hgetall:calls=(\d+)/.exec(await redis.client.info("commandstats"))?.[1] ?? 0);
    for (const t of targets) await load(t, 2, opts.connections, opts.generator, hgetalls);
    for (let round = 0; round < opts.rounds; round++) {
      for (const t of round % 2 === 0 ? targets : [...targets].reverse())
        t.runs.push(await load(t, opts.seconds, opts.connections, opts.generator, hgetalls));
      console.log(`round ${round + 1}:`);
      for (const t of targets) console.log(`  ${t.label.padEnd(8)} ${fmt(t.runs.at(-1))}`);
    }

    // The servers share 2 cores with autocannon and redis-server (and other people's work): the
    // ratio within a round, and CPU time per request, are steadier than req/s alone.
    const ratio = (t: Target, c: Target) => median(t.runs.map((r, i) => r.rps / (c.runs[i] as Figures).rps));
    const cpuRatio = (t: Target, c: Target) => medians(c).cpuUs / medians(t).cpuUs;
    const p99s = (t: Target, c: Target) => `p99 ${medians(t).p99} ms vs ${medians(c).p99} ms`;
    console.log("");
    console.log(
      `medians of ${opts.rounds} rounds (2 cores shared by the servers, ${opts.generator}, redis-server and other work; load average ${loadavg()}):`,
    );
    for (const t of targets) console.log(`  ${t.label.padEnd(8)} ${t.name.padEnd(62)} ${fmt(medians(t))}`);
    if (opts.only !== "executed") {
      const [ceiling, month, year] = cached as [Target, Target, Target];
      const r = ratio(month, ceiling);
      console.log(
        `  REST month, cached   / ceiling: ${ratio2(r)} of req/s (median of per-round ratios; target ≥ 1.2×: ${r >= 1.2 ? "met" : "NOT met"}),` +
          ` ${ratio2(cpuRatio(month, ceiling))} as lean in CPU per request, ${p99s(month, ceiling)}`,
      );
      console.log(
        `  REST year,  cached   / ceiling: ${ratio2(ratio(year, ceiling))} of req/s, ${ratio2(cpuRatio(year, ceiling))} as lean in CPU per request`,
      );
    }
    if (opts.only !== "cached") {
      const [ceiling, month] = executed as [Target, Target];
      const r = ratio(month, ceiling);
      console.log(
        `  REST month, executed / ceiling: ${ratio2(r)} of req/s (median of per-round ratios; target ≥ 0.9×: ${r >= 0.9 ? "met" : "NOT met"}),` +
          ` ${ratio2(cpuRatio(month, ceiling))} as lean in CPU per request, ${p99s(month, ceiling)}`,
      );
    }
  } finally {
    await Promise.all(children.map(stopChild));
    await redis.stop();
  }
}

interface Target {
  label: string;
  name: string;
  /** Server URL (scheme, host, port) and the path requested; with `paths`, each request takes the next of them. */
  base: string;
  path: string;
  paths?: string[] | undefined;
  pid: number;
  runs: Figures[];
}

type Generator = "autocannon" | "wrk";

async function load(
  t: Target,
  seconds: number,
  connections: number,
  generator: Generator,
  hgetalls: () => Promise<number>,
): Promise<Figures> {
  const reads = await hgetalls();
  const before = cpuMs(t.pid);
  const r = generator === "wrk" ? await runWrk(t, seconds, connections) : await runAutocannon(t, seconds, connections);
  const after = cpuMs(t.pid);
  const perRequest = (ms: number) => (ms * 1000) / Math.max(1, r.total);
  if (r.failed > 0) throw new Error(`${t.base}${t.path}: ${r.failed} errors or non-2xx answers`);
  return {
    rps: r.rps,
    p99: r.p99,
    cpuUs: perRequest(after.user + after.system - before.user - before.system),
    sysUs: perRequest(after.system - before.system),
    readsPerRequest: ((await hgetalls()) - reads) / Math.max(1, r.total),
  };
}

interface LoadResult {
  rps: number;
  p99: number;
  total: number;
  failed: number;
}

async function runAutocannon(t: Target, seconds: number, connections: number): Promise<LoadResult> {
  const { paths } = t;
  let next = 0;
  const r = await autocannon({
    url: `${t.base}${t.path}`,
    connections,
    duration: seconds,
    ...(paths
      ? {
          requests: [
            {
              setupRequest: (req: autocannon.Request) => {
                req.path = paths[next++ % paths.length] as string;
                return req;
              },
            },
          ],
        }
      : {}),
  });
  return { rps: r.requests.average, p99: r.latency.p99, total: r.requests.total, failed: r.errors + r.non2xx };
}

function hasWrk(): boolean {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
    return true;
  } catch (err) {
    // wrk --version prints its usage and exits 1; only a missing binary means no wrk.
    return (err as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

/** wrk with one thread, leaving the other core to the server under test; a Lua script cycles through `paths`. */
function runWrk(t: Target, seconds: number, connections: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const script = t.paths ? wrkScript(t.paths) : undefined;
    const args = [
      "-t1",
      `-c${connections}`,
      `-d${seconds}s`,
      "--latency",
      ...(script ? ["-s", script] : []),
      `${t.base}${t.path}`,
    ];
    execFile("wrk", args, { timeout: (seconds + 30) * 1000 }, (err, stdout) => {
      if (err) return reject(err);
      const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? Number.NaN);
      const p99 = /^\s*99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(stdout);
      const scale = { us: 0.001, ms: 1, s: 1000 }[(p99?.[2] ?? "ms") as "us" | "ms" | "s"];
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
      resolve({
        rps: num(/^Requests\/sec:\s+([\d.]+)/m),
        p99: Number(p99?.[1] ?? Number.NaN) * scale,
        total: num(/^\s*(\d+) requests in/m),
        failed:
          (num(/Non-2xx or 3xx responses: (\d+)/) || 0) +
          (socketErrors ? socketErrors.slice(1).reduce((a, n) => a + Number(n), 0) : 0),
      });
    });
  });
}

/** A wrk Lua script that requests the paths in turn (written once per set of paths). */
function wrkScript(paths: string[]): string {
  let file = wrkScripts.get(paths);
  if (file === undefined) {
    file = join(mkdtempSync(join(tmpdir(), "bench-rest-")), "paths.lua");
    writeFileSync(
      file,
      `local paths = {${paths.map((p) => JSON.stringify(p)).join(",")}}\nlocal i = 0\n` +
        "request = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n",
    );
    wrkScripts.set(paths, file);
  }
  return file;
}

function loadavg(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");
}

/** User and system CPU time of a process so far, from /proc (Linux), in ms. */
function cpuMs(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ms = (ticks: string | undefined) => (Number(ticks) * 1000) / TICKS_PER_SECOND;
  return { user: ms(fields[11]), system: ms(fields[12]) };
}

function medians(t: Target): Figures {
  return {
    rps: median(t.runs.map((f) => f.rps)),
    p99: median(t.runs.map((f) => f.p99)),
    cpuUs: median(t.runs.map((f) => f.cpuUs)),
    sysUs: median(t.runs.map((f) => f.sysUs)),
    readsPerRequest: median(t.runs.map((f) => f.readsPerRequest)),
  };
}

function ratio2(x: number): string {
  return `${x.toFixed(2)}×`;
}

function fmt(f: Figures | undefined): string {
  if (!f) return "-";
  return `${Math.round(f.rps).toLocaleString("en-US").padStart(7)} req/s  p99 ${f.p99} ms  ${f.cpuUs.toFixed(1)} µs CPU/req (${f.sysUs.toFixed(1)} sys)  ${f.readsPerRequest.toFixed(2)} HGETALL/req`;
}
/**
 * The bare server's routing: the month path's segments after the prefix, joined with ":" under
 * the key prefix (no validation): the least work that still reads the key the URL names.
 */
function bareKeyOf(url: string): string {
  return `${KEY_PREFIX}${url.slice(PATH_PREFIX.length + 1).replaceAll("/", ":")}`;
}

/** Starts this file in a child process in a server role; resolves with the URL it prints. */
function spawnServer(serverRole: string, url: string, children: ChildProcess[], nodeArgs: string[] = []) {
  return spawnRole(fileURLToPath(import.meta.url), [serverRole, url], children, nodeArgs);
}

async function serveRest(url: string): Promise<void> {
  const config = testConfig(["--role", "api", "--redis", url, "--key-prefix", KEY_PREFIX, "--log-level", "warn"]);
  const service = await startService(config, createLogger(config.logLevel), { defaultMetrics: false });
  await eventually(() => service.store.ping().then(() => true), "redis reachable from the REST service");
  process.stdout.write(`${service.url}\n`);
  exitWithParent();
}
