/**
 * The package as a user gets it: `npm pack`, install the tarball into an empty folder with
 * `npm install` (runtime dependencies only), then run the installed `stats-server`: `--help`, and a
 * short `--store memory` start that answers /healthz. Needs the npm registry (or its cache) for the
 * dependencies, as any install does.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { eventually, freePort } from "../helpers/ports.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let dir = "";
let bin = "";

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "stats-pack-"));
  // --ignore-scripts: dist/ is already built by `npm run test:package`; pack only what `files` lists.
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
    cwd: ROOT,
    maxBuffer: 16 << 20,
  });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  assert.ok(packed, "npm pack printed no package");
  const paths = packed.files.map((f) => f.path);
  assert.ok(paths.includes("dist/main.js"), "the package carries the compiled service");
  assert.ok(paths.includes("dist/lua/apply-batch.lua"), "the package carries the Lua scripts");
  assert.ok(paths.includes("dist/ingest-worker.js"), "the package carries the ingest worker thread's entry");
  assert.ok(!paths.some((p) => p.startsWith("src/") || p.startsWith("test/")), "no sources or tests in the package");
  const app = join(dir, "app");
  await run("mkdir", ["-p", app]);
  await run("npm", ["init", "-y"], { cwd: app });
  await run("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", join(dir, packed.filename)], {
    cwd: app,
    maxBuffer: 16 << 20,
    timeout: 300_000,
  });
  bin = join(app, "node_modules", ".bin", "stats-server");
  assert.ok(existsSync(bin), "npm install linked the stats-server executable");
  assert.ok(!existsSync(join(app, "node_modules", "tsx")), "tsx is not installed: nothing at run time needs it");
  assert.ok(!existsSync(join(app, "node_modules", "graphql")), "bundled dependencies are not installed again");
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("the installed package prints its help", async () => {
  const { stdout } = await run(bin, ["--help"]);
  assert.match(stdout, /^Usage: stats-server/);
  assert.match(stdout, /--store/);
});

test("the installed package starts with the memory store and answers /healthz", async () => {
  const port = await freePort();
  const zmq = `tcp://127.0.0.1:${await freePort()}`;
  const proc = spawn(bin, ["--store", "memory", "--http", `127.0.0.1:${port}`, "--zmq", zmq], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  proc.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  try {
    const body = await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        return res.ok ? res.text() : undefined;
      },
      "the installed service answers /healthz",
      30_000,
    );
    assert.ok(body !== undefined);
    const q = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: '{ stats(account: "acme", event: "pageview", year: 2026) { total } }' }),
    });
    assert.equal(q.status, 200);
    assert.deepEqual(await q.json(), { data: { stats: { total: 0 } } });
    assert.match(stderr, /nothing is persisted/);
    // Everything but zeromq is bundled: the dashboard and GraphiQL's files come from dist/ alone.
    const page = await fetch(`http://127.0.0.1:${port}/`, { headers: { accept: "text/html" } });
    assert.equal(page.status, 200);
    const graphiql = await fetch(`http://127.0.0.1:${port}/graphql`, { headers: { accept: "text/html" } });
    const asset = /src="([^"]*graphiql\.js)"/.exec(await graphiql.text())?.[1];
    assert.ok(asset, "the GraphiQL page names its script");
    assert.equal((await fetch(new URL(asset, `http://127.0.0.1:${port}/graphql`))).status, 200);
  } finally {
    proc.kill("SIGTERM");
    await new Promise((r) => proc.once("exit", r));
  }
});
