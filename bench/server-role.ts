/**
 * Plumbing shared by the HTTP benchmarks' child processes: the bare ceiling server, announcing
 * the URL a role listens on, and exiting with the parent.
 */
import { createServer, type Server } from "node:http";
import { Redis } from "ioredis";

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

/** The ceiling both HTTP benchmarks compare against: one HGETALL, JSON.stringify, no routing, no validation. */
export async function serveBareHgetall(redisUrl: string, key: string): Promise<void> {
  const redis = new Redis(redisUrl);
  const server = createServer((_req, res) => {
    redis.hgetall(key).then(
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
