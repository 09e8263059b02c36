#!/usr/bin/env node
// Compiles src/ into dist/: one ESM bundle per entry (the executable's, the ingest worker's), split into shared chunks so that a lazily
// imported command (the server, reindex) is loaded only when it runs; and the dashboard's browser
// bundle into dist/dashboard/. Every npm dependency but the
// native `zeromq` addon is bundled: start-up then reads a few files instead of ~1,500 (see the
// commit that introduced this for the figures). Lua scripts are copied beside the bundle, where
// `new URL("./lua/…", import.meta.url)` finds them. Types are checked by `npm run typecheck`,
// not here.
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const out = join(root, "dist");

await rm(out, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // The ingest worker thread's entry is a file of its own, dist/ingest-worker.js, beside the chunks
  // that start it (src/commands/ingest-thread.ts resolves it relative to its own module).
  entryPoints: { main: "src/main.ts", "ingest-worker": "src/commands/ingest-worker.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  sourcemap: true,
  external: ["zeromq"],
  // What bundlers do for a production build: graphql-js then skips its development-only checks
  // (its instanceOf guard against two copies of graphql, which a bundle cannot have).
  define: { "process.env.NODE_ENV": '"production"' },
  // Bundled CommonJS packages call require(); give the ESM output one.
  banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
  logLevel: "warning",
});
// The dashboard (web/dashboard/): one minified script for browsers, its styles (uPlot's and ours)
// and its page, served by src/pages/dashboard.ts.
const dashboard = join(out, "dashboard");
await build({
  absWorkingDir: root,
  entryPoints: ["web/dashboard/main.ts"],
  outfile: join(dashboard, "dashboard.js"),
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  legalComments: "none",
  logLevel: "warning",
});
const css = await Promise.all([
  readFile(join(root, "node_modules/uplot/dist/uPlot.min.css"), "utf8"),
  readFile(join(root, "web/dashboard/style.css"), "utf8"),
]);
await writeFile(join(dashboard, "dashboard.css"), css.join("\n"));
await cp(join(root, "web/dashboard/index.html"), join(dashboard, "index.html"));
// docs/contract.md §10: the dashboard's scripts and styles together stay under 150 KB gzipped (the browser
// test measures what the service actually sends; this stops a heavy dependency at the build).
const js = await readFile(join(dashboard, "dashboard.js"));
const dashboardGzip = gzipSync(js, { level: 9 }).length + gzipSync(css.join("\n"), { level: 9 }).length;
if (dashboardGzip >= 150 * 1024) {
  throw new Error(
    `the dashboard's scripts and styles are ${(dashboardGzip / 1024).toFixed(1)} KB gzipped (limit 150 KB)`,
  );
}

await mkdir(join(out, "lua"), { recursive: true });
const files = await readdir(join(root, "src"), { recursive: true });
for (const file of files.filter((f) => f.endsWith(".lua"))) {
  await cp(join(root, "src", file), join(out, "lua", basename(file)));
}
