/**
 * Ingest benchmark: events/s from a ZeroMQ publisher into Redis counters, end to end, beside the
 * ceiling of a bare Node SUB loop on the same stream, in the same run.
 *
 *   npm run bench:ingest                      3 rounds of 500 000 events
 *   BENCH_EVENTS=1000000 BENCH_ROUNDS=5 npm run bench:ingest
 *   BENCH_PROFILE=1 npm run bench:ingest      also writes a --cpu-prof of the service per round
 *
 * Every process is separate: a private redis-server on a free port, the publisher (a child that
 * binds PUB and sends as fast as the socket takes it), the bare SUB loop, and the service as
 * `node bin/stats-server.js`. Only 127.0.0.1 is used; every wait is bounded.
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { eventually, freePort, sleep } from "../test/helpers/ports.js";
import { startRedis, type TestRedis } from "../test/helpers/redis.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3);
const EVENTS = Number(process.env["BENCH_EVENTS"] ?? 500_000);
const ACCOUNTS = Number(process.env["BENCH_ACCOUNTS"] ?? 60);
const PROFILE = process.env["BENCH_PROFILE"] === "1";
/** No round may take longer than this, whatever happens. */
const ROUND_LIMIT_MS = 180_000;
/** A stream that stops growing for this long is finished (what is missing is lost). */
const SETTLE_MS = 5_000;

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const BIN = here("../bin/stats-server.js");
const PROFILE_DIR = here("./.profiles");

interface Msg {
  type: string;
  [k: string]: number | string;
}

function forkTs(file: string, args: string[]): ChildProcess {
  return fork(here(file), args, { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

function next(child: ChildProcess, type: string, withinMs = ROUND_LIMIT_MS): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off("message", on);
      reject(new Error(`no "${type}" from child ${child.pid} within ${withinMs} ms`));
    }, withinMs);
    const on = (m: Msg) => {
      if (m?.type !== type) return;
      clearTimeout(timer);
      child.off("message", on);
      resolve(m);
    };
    child.on("message", on);
  });
}

async function end(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  if (child.connected) child.send({ type: "exit" });
  const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(kill);
}

/** Peak resident set of a process, in MB (VmHWM). */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

interface Round {
  rate: number;
  counted: number;
  sent: number;
  sendRate: number;
  rssMb: number;
}

/** The benchmark's stream: EVENTS events over ACCOUNTS accounts, from a separate process. */
function startPublisherProcess(endpoint: string) {
  return forkTs("./ingest-publisher.ts", [
    "--endpoint",
    endpoint,
    "--count",
    String(EVENTS),
    "--accounts",
    String(ACCOUNTS),
  ]);
}

async function ceilingRound(): Promise<Round> {
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  const pub = startPublisherProcess(endpoint);
  const sub = forkTs("./ingest-bare-sub.ts", [
    "--endpoint",
    endpoint,
    "--count",
    String(EVENTS),
    "--idle-ms",
    String(SETTLE_MS),
  ]);
  try {
    const started = next(pub, "started");
    const sent = next(pub, "sent");
    const received = next(sub, "received");
    const t0 = Number((await started)["at"]);
    const s = await sent;
    const r = await received;
    const rssMb = sub.pid ? peakRssMb(sub.pid) : Number.NaN;
    const n = Number(r["n"]);
    return {
      rate: n / ((Number(r["at"]) - t0) / 1000),
      counted: n,
      sent: Number(s["sent"]),
      sendRate: Number(s["sent"]) / (Number(s["ms"]) / 1000),
      rssMb,
    };
  } finally {
    await end(sub);
    await end(pub);
  }
}

async function serviceRound(redis: TestRedis, round: number): Promise<Round> {
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  const port = await freePort();
  const prefix = `bench${round}:${Date.now()}:`;
  const nodeArgs = PROFILE ? ["--cpu-prof", "--cpu-prof-dir", PROFILE_DIR] : [];
  if (PROFILE) mkdirSync(PROFILE_DIR, { recursive: true });
  const svc = spawn(
    process.execPath,
    [
      ...nodeArgs,
      BIN,
      "--redis",
      redis.url,
      "--zmq",
      endpoint,
      "--key-prefix",
      prefix,
      "--http",
      `127.0.0.1:${port}`,
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const pub = startPublisherProcess(endpoint);
  try {
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, "service up", 30_000);
    const t0 = Number((await next(pub, "started"))["at"]);
    const sentMsg = next(pub, "sent");

    // The rollup `all` counts every event: poll its year hash until it holds them all, or stops growing.
    const year = new Date().getUTCFullYear();
    const counted = async () => {
      let n = 0;
      for (const v of await redis.client.hvals(`${prefix}track:all:pageview:${year}`)) n += Number(v);
      return n;
    };
    const limit = Date.now() + ROUND_LIMIT_MS;
    let n = 0;
    let lastChange = Date.now();
    let doneAt = Date.now();
    for (;;) {
      const now = await counted();
      if (now !== n) {
        n = now;
        lastChange = doneAt = Date.now();
      }
      if (n >= EVENTS || Date.now() - lastChange > SETTLE_MS || Date.now() > limit) break;
      await sleep(10);
    }
    const s = await sentMsg;
    const rssMb = svc.pid ? peakRssMb(svc.pid) : Number.NaN;
    return {
      rate: n / ((doneAt - t0) / 1000),
      counted: n,
      sent: Number(s["sent"]),
      sendRate: Number(s["sent"]) / (Number(s["ms"]) / 1000),
      rssMb,
    };
  } finally {
    await end(pub);
    const exited = new Promise((r) => svc.once("exit", r));
    svc.kill("SIGTERM");
    const kill = setTimeout(() => svc.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(kill);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (r: number) => `${(r * 100).toFixed(0)}%`;

async function main() {
  const redis = await startRedis();
  const ceiling: Round[] = [];
  const service: Round[] = [];
  try {
    console.log(`ingest bench: ${ROUNDS} rounds x ${fmt(EVENTS)} events, ${ACCOUNTS} accounts, 10% unique\n`);
    for (let i = 0; i < ROUNDS; i++) {
      const c = await ceilingRound();
      ceiling.push(c);
      console.log(
        `round ${i + 1} ceiling  bare SUB + JSON.parse: ${fmt(c.rate)} msg/s  (received ${fmt(c.counted)}/${fmt(c.sent)}, publisher ${fmt(c.sendRate)} msg/s, RSS ${c.rssMb.toFixed(0)} MB)`,
      );
      const s = await serviceRound(redis, i);
      service.push(s);
      console.log(
        `round ${i + 1} service  end to end into Redis: ${fmt(s.rate)} events/s  (counted ${fmt(s.counted)}/${fmt(s.sent)}, lost ${fmt(s.sent - s.counted)}, peak RSS ${s.rssMb.toFixed(0)} MB)`,
      );
    }
  } finally {
    await redis.stop();
  }

  const ceilingRate = median(ceiling.map((r) => r.rate));
  const serviceRate = median(service.map((r) => r.rate));
  const lost = Math.max(...service.map((r) => r.sent - r.counted));
  const ceilingLost = Math.max(...ceiling.map((r) => r.sent - r.counted));
  const rss = median(service.map((r) => r.rssMb));
  const ratio = serviceRate / ceilingRate;
  // Each round measures the ceiling and the service back to back: their ratio cancels most of
  // the load that other work puts on the machine at that moment.
  const paired = median(service.map((r, i) => r.rate / (ceiling[i] as Round).rate));
  console.log(
    `\nmedians of ${ROUNDS} rounds (2-core machine shared with other work: publisher, consumer and Redis compete)`,
  );
  console.log(`  publisher send rate     ${fmt(median(ceiling.concat(service).map((r) => r.sendRate)))} msg/s`);
  console.log(`  ceiling (bare SUB loop) ${fmt(ceilingRate)} msg/s, worst loss ${fmt(ceilingLost)}`);
  console.log(`  service (end to end)    ${fmt(serviceRate)} events/s`);
  console.log(
    `  ratio                   ${pct(paired)} of the ceiling, median of per-round ratios (ratio of medians ${pct(ratio)})   (target >= 60%) ${paired >= 0.6 ? "OK" : "MISSED"}`,
  );
  console.log(`  events lost (worst)     ${fmt(lost)}   (target 0) ${lost === 0 ? "OK" : "MISSED"}`);
  console.log(
    `  service peak RSS        ${rss.toFixed(0)} MB (median; max ${Math.max(...service.map((r) => r.rssMb)).toFixed(0)} MB)   (target < 250 MB) ${Math.max(...service.map((r) => r.rssMb)) < 250 ? "OK" : "MISSED"}`,
  );
  if (PROFILE) console.log(`  CPU profiles in ${PROFILE_DIR}`);
}

await main();
