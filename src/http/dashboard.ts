/**
 * The live dashboard (web/dashboard/): bundled with esbuild on first request (about a second,
 * once per process: the sources ship with the service, so there is no build output to go
 * stale), then served from memory like every static asset: the page revalidated by ETag, its
 * script and styles under content-hashed URLs cached for a year.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { type Asset, contentHash, createAsset } from "./static-assets.js";

const SOURCE = new URL("../../web/dashboard/", import.meta.url);
export const DASHBOARD_ASSETS = "/assets/dashboard";

export interface DashboardFiles {
  page: Asset;
  /** URL path → asset (the bundle and the stylesheet). */
  assets: Map<string, Asset>;
}

let built: Promise<DashboardFiles> | undefined;

export function dashboardFiles(): Promise<DashboardFiles> {
  built ??= build().catch((err: unknown) => {
    built = undefined; // a failed build is tried again on the next request
    throw err;
  });
  return built;
}

async function build(): Promise<DashboardFiles> {
  const { build: esbuild } = await import("esbuild");
  const result = await esbuild({
    entryPoints: [fileURLToPath(new URL("main.ts", SOURCE))],
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2020",
    write: false,
    logLevel: "silent",
    legalComments: "none",
  });
  const js = result.outputFiles[0]?.text ?? "";
  const require = createRequire(import.meta.url);
  const css = [
    await readFile(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
    await readFile(new URL("style.css", SOURCE), "utf8"),
  ].join("\n");
  const jsPath = `${DASHBOARD_ASSETS}/dashboard.${contentHash(js)}.js`;
  const cssPath = `${DASHBOARD_ASSETS}/dashboard.${contentHash(css)}.css`;
  const html = (await readFile(new URL("index.html", SOURCE), "utf8"))
    .replace("{{js}}", jsPath)
    .replace("{{css}}", cssPath);
  const [page, script, styles] = await Promise.all([
    createAsset("text/html; charset=utf-8", html, false),
    createAsset("application/javascript; charset=utf-8", js, true),
    createAsset("text/css; charset=utf-8", css, true),
  ]);
  return {
    page,
    assets: new Map([
      [jsPath, script],
      [cssPath, styles],
    ]),
  };
}
