/**
 * Spawns a private redis-server on a free port for a test file (never the machine's own Redis),
 * and stops it afterwards. `restart()` keeps the data when started with `appendonly`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { eventually, freePort } from "./ports.js";

export interface TestRedis {
  port: number;
  url: string;
  /** A plain client for assertions (closed by stop()). */
  client: Redis;
  /** A key prefix no other test uses. */
  prefix(): string;
  /** SIGKILL the server (simulated crash or outage); restart() brings it back on the same port. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** `args`: more redis-server options, e.g. `["--rename-command", "ZUNION", ""]` to play an older Redis. */
export async function startRedis(opts: { appendonly?: boolean; args?: string[] } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "stats-redis-"));
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--dir",
    dir,
    "--appendonly",
    opts.appendonly ? "yes" : "no",
    "--appendfsync",
    "always",
    "--logfile",
    join(dir, "redis.log"),
    ...(opts.args ?? []),
  ];
  let proc: ChildProcess | undefined;
  const launch = async () => {
    proc = spawn("redis-server", args, { stdio: "ignore" });
    // Not installed: say so at once (`npm test` checks it first: scripts/need-redis-server.mjs).
    const missing = new Promise<never>((_, reject) =>
      proc?.once("error", (err: NodeJS.ErrnoException) =>
        reject(
          err.code === "ENOENT" ? new Error("redis-server is not installed (sudo apt-get install redis-server)") : err,
        ),
      ),
    );
    missing.catch(() => {});
    const probe = new Redis({
      port,
      host: "127.0.0.1",
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    probe.on("error", () => {});
    try {
      await Promise.race([
        missing,
        eventually(async () => {
          await probe.connect().catch(() => undefined);
          return (await probe.ping()) === "PONG";
        }, `redis-server on ${port}`),
      ]);
    } finally {
      probe.disconnect();
    }
  };
  const killProc = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGKILL");
    await exited;
  };
  await launch();
  const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 3 });
  client.on("error", () => {});
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client,
    prefix: () => `t${randomUUID().slice(0, 8)}:`,
    kill: killProc,
    restart: launch,
    async stop() {
      client.disconnect();
      await killProc();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
