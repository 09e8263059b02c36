/**
 * Helpers for ingest tests: totals read straight from Redis in the old layout, /metrics samples,
 * and the real executable (`node bin/stats-server.js`) as a child process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import { eventually, freePort } from "./ports.js";
import { startRedis, type TestRedis } from "./redis.js";
import { metricValue, wiring } from "./service.js";
import { startPublisher, type TestPublisher } from "./zmq.js";

export const BIN = fileURLToPath(new URL("../../bin/stats-server.js", import.meta.url));

/** Sum of every month of every year of `track:{account}:{event}` (years from the index set). */
export async function trackTotal(client: Redis, prefix: string, account: string, event = "pageview"): Promise<number> {
  const years = await client.smembers(`${prefix}index:track:years:${account}:${event}`);
  let total = 0;
  for (const y of years) {
    const months = await client.hvals(`${prefix}track:${account}:${event}:${y}`);
    for (const n of months) total += Number(n);
  }
  return total;
}

/**
 * An account's count in the rankings of `event` (docs/contract.md §9), summed per level over every sorted
 * set of the event (SCAN): [year, month, day, hour, minute]. Each equals the account's total when
 * the rankings were written exactly once along with the hashes.
 */
export async function rankedTotals(
  client: Redis,
  prefix: string,
  account: string,
  event = "pageview",
): Promise<number[]> {
  const levels = [0, 0, 0, 0, 0];
  const head = `${prefix}top:{${event}}:`;
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${head}*`, "COUNT", 1000);
    cursor = next;
    for (const key of keys) {
      const depth = key.slice(head.length).split(":").length - 1;
      levels[depth] = (levels[depth] ?? 0) + Number((await client.zscore(key, account)) ?? 0);
    }
  } while (cursor !== "0");
  return levels;
}

/** One sample of a service's /metrics. */
export async function metric(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return metricValue(text, name);
}

export interface ServerProcess {
  proc: ChildProcess;
  url: string;
  /** Everything written to stderr so far (the JSON log). */
  stderr(): string;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal and waits for the exit; SIGKILLs after `withinMs`. */
  stop(signal?: NodeJS.Signals, withinMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns the executable with `args` plus the HTTP flag `httpArgs` gives for a free port (default
 * `--http 127.0.0.1:<port>`), or for `port` (to start again where a stopped one listened), and
 * waits for /healthz.
 */
export async function spawnServer(
  args: string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    /** Flags for node itself, before the script (--cpu-prof, say: not allowed in NODE_OPTIONS). */
    nodeArgs?: string[];
    httpArgs?: (port: number) => string[];
    port?: number;
    startWithinMs?: number;
  } = {},
): Promise<ServerProcess> {
  const port = opts.port ?? (await freePort());
  const httpArgs = opts.httpArgs ?? ((p) => ["--http", `127.0.0.1:${p}`]);
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args, ...httpArgs(port)], {
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  proc.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  try {
    await eventually(
      async () => {
        if (gone) throw new Error(`exited early: ${err}`);
        return (await fetch(`${url}/healthz`)).ok;
      },
      "stats-server /healthz",
      opts.startWithinMs ?? 20_000,
    );
  } catch (e) {
    proc.kill("SIGKILL");
    throw e;
  }
  return {
    proc,
    url,
    stderr: () => err,
    stdout: () => out,
    exited,
    async stop(signal = "SIGTERM", withinMs = 30_000) {
      if (!gone) proc.kill(signal);
      const timer = setTimeout(() => proc.kill("SIGKILL"), withinMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs the executable to completion (a command or a bad flag), collecting its output. */
export function runCli(
  args: string[],
  withinMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    proc.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`stats-server ${args.join(" ")} did not exit within ${withinMs} ms; stderr: ${stderr}`));
    }, withinMs);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parses pino's JSON lines from a log, ignoring anything else. */
export function logLines(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a partial line at the end of a still-running process's output
    }
  }
  return out;
}

/** A private redis-server, a publisher, and the executable wired to both (unique key prefix), ready. */
export interface ProcessRig {
  redis: TestRedis;
  pub: TestPublisher;
  server: ServerProcess;
  prefix: string;
  /** Closes the publisher, SIGKILLs the service (nothing of a test depends on its shutdown) and stops Redis. */
  stop(): Promise<void>;
}

export async function startProcessRig(flags: string[] = []): Promise<ProcessRig> {
  const redis = await startRedis();
  const pub = await startPublisher();
  const prefix = redis.prefix();
  const server = await spawnServer([...wiring(redis.url, pub.endpoint, prefix), ...flags]);
  await pub.waitForSubscribers(1);
  await eventually(async () => (await fetch(`${server.url}/readyz`)).status === 200, "service ready");
  return {
    redis,
    pub,
    server,
    prefix,
    async stop() {
      pub.close();
      await server.stop("SIGKILL");
      await redis.stop();
    },
  };
}
