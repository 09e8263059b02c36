/**
 * Start-up and idle memory: `node bin/stats-server.js --store memory` (the compiled service) against
 * a bare node:http server started the same way (a node process that listens and answers /healthz),
 * in the same run, alternating, each started --rounds times. Reports, as medians:
 *   - spawn → first 200 from /healthz (what a deploy waits for; a graphql-ws client's first retry
 *     comes after ~1 s),
 *   - RSS once idle (1 s after ready, read from /proc),
 *   - `stats-server --help` (spawn → exit), which must not load the server.
 *
 *   npm run bench:startup [-- --rounds 7]
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/helpers/ports.js";
import { median } from "./server-role.js";

const BIN = fileURLToPath(new URL("../bin/stats-server.js", import.meta.url));
const BARE = `require("node:http").createServer((q, s) => s.end("ok")).listen(+process.argv[1], "127.0.0.1")`;

const i = process.argv.indexOf("--rounds");
const rounds = i < 0 ? 7 : Number(process.argv[i + 1]);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) throw new Error("--rounds must be an integer 1-50");

interface Start {
  readyMs: number;
  rssMb: number;
}

async function start(args: (port: number) => string[]): Promise<Start> {
  const port = await freePort();
  const t0 = performance.now();
  const proc = spawn(process.execPath, args(port), { stdio: "ignore" });
  try {
    for (;;) {
      if (performance.now() - t0 > 30_000) throw new Error("not ready within 30 s");
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const readyMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 1_000));
    const status = readFileSync(`/proc/${proc.pid}/status`, "utf8");
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return { readyMs, rssMb: rssKb / 1024 };
  } finally {
    proc.kill("SIGKILL");
  }
}

async function helpMs(): Promise<number> {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, "--help"], { stdio: "ignore" });
    proc.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`--help exited ${code}`))));
  });
  return performance.now() - t0;
}

const svc: Start[] = [];
const bare: Start[] = [];
const help: number[] = [];
for (let r = 0; r < rounds; r++) {
  const zmq = `tcp://127.0.0.1:${await freePort()}`;
  const service = (port: number) => [BIN, "--store", "memory", "--http", `127.0.0.1:${port}`, "--zmq", zmq];
  const bareServer = (port: number) => ["-e", BARE, String(port)];
  // Alternate the order so that neither always runs on a warmer page cache.
  if (r % 2 === 0) {
    svc.push(await start(service));
    bare.push(await start(bareServer));
  } else {
    bare.push(await start(bareServer));
    svc.push(await start(service));
  }
  help.push(await helpMs());
  process.stderr.write(
    `round ${r + 1}: service ${svc.at(-1)?.readyMs.toFixed(0)} ms, bare ${bare.at(-1)?.readyMs.toFixed(0)} ms\n`,
  );
}

const row = (name: string, s: number, b: number, unit: string) =>
  `| ${name} | ${s.toFixed(unit === "MB" ? 1 : 0)} ${unit} | ${b.toFixed(unit === "MB" ? 1 : 0)} ${unit} | ${(s / b).toFixed(2)} × |`;
const ready = [median(svc.map((s) => s.readyMs)), median(bare.map((s) => s.readyMs))] as const;
const rss = [median(svc.map((s) => s.rssMb)), median(bare.map((s) => s.rssMb))] as const;
const bareStart = ready[1];
console.log(`\nstart-up, medians of ${rounds} rounds (--store memory vs a bare node:http server)\n`);
console.log("| figure | stats-server | bare node:http | ratio |\n| --- | --- | --- | --- |");
console.log(row("spawn → /healthz 200", ready[0], ready[1], "ms"));
console.log(row("idle RSS (1 s after ready)", rss[0], rss[1], "MB"));
console.log(row("`--help` (spawn → exit) vs bare start", median(help), bareStart, "ms"));
