/**
 * Plumbing shared by the benchmarks: starting a bench file again in a child process in a server
 * role and stopping it, the bare ceiling server, announcing the URL a role listens on, exiting
 * with the parent, and the median.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { createInterface } from "node:readline";
import { Redis } from "ioredis";

/**
 * Starts `script` (a bench file) in a child process in a server role, with NODE_ENV=production
 * and any extra node flags; resolves with the URL it prints on its first line.
 */
export function spawnRole(
  script: string,
  args: string[],
  children: ChildProcess[],
  nodeArgs: string[] = [],
): Promise<{ url: string; pid: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", script, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${args[0]} exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", (line) =>
      resolve({ url: line.trim(), pid: child.pid as number, child }),
    );
  });
}

/** SIGTERM, then resolves once the child has exited (at once if it already has). */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  return exited;
}

/** A benchmark's integer option `--name N` from argv: `def` when absent; 1-`max`, or it throws saying so. */
export function intOption(argv: string[], name: string, def: number, max: number): number {
  const i = argv.indexOf(`--${name}`);
  const n = i < 0 ? def : Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer 1-${max}`);
  return n;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Listens on a free loopback port and prints the URL (the parent reads it from stdout). */
export function listenAndAnnounce(server: Server): Promise<void> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      process.stdout.write(`http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}\n`);
      resolve();
    }),
  );
}

/** Server roles exit when the parent says so or goes away (their stdin closes). */
export function exitWithParent(cleanup?: () => Promise<unknown>): void {
  let quitting = false;
  const quit = () => {
    if (quitting) return;
    quitting = true;
    const done = () => process.exit(0);
    (cleanup ? cleanup() : Promise.resolve()).then(done, done);
  };
  process.stdin.on("end", quit).resume();
  process.once("SIGTERM", quit);
}

/**
 * The ceiling both HTTP benchmarks compare against: one HGETALL, JSON.stringify, no routing, no
 * validation. With `keyOf`, a request for any path but `/` reads the key `keyOf(path)` names
 * (the REST benchmark's executed mode: a different key per URL, as the REST route reads).
 */
export async function serveBareHgetall(redisUrl: string, key: string, keyOf?: (url: string) => string): Promise<void> {
  const redis = new Redis(redisUrl);
  const server = createServer((req, res) => {
    redis.hgetall(keyOf && req.url !== "/" ? keyOf(req.url ?? "/") : key).then(
      (hash) => {
        const body = JSON.stringify(hash);
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
        res.end(body);
      },
      () => {
        res.writeHead(503);
        res.end();
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  await listenAndAnnounce(server);
  exitWithParent();
}
