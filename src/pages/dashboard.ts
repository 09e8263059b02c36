/**
 * The live dashboard (web/dashboard/), built with the service (`npm run build`, which `npm install`
 * runs on prepare) into dist/dashboard/, and served from memory like every static asset: the page
 * revalidated by ETag, its script and styles under content-hashed URLs cached for a year.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { type Asset, contentHash, createAsset } from "./static-assets.js";

export const DASHBOARD_ASSETS = "/assets/dashboard";

/** What the page learns from the service's flags: the events its lists offer (docs/contract.md §10). */
export interface DashboardConfig {
  /** --track-events, and `unique` (what tracked events with `data.unq` also count as). */
  trackEvents: readonly string[];
  /** --funnel-events */
  funnelEvents: readonly string[];
}

export interface DashboardFiles {
  /** index.html with its asset URLs; `{{config}}` is filled per service (dashboardPage). */
  template: string;
  /** URL path → asset (the bundle and the stylesheet). */
  assets: Map<string, Asset>;
}

let loaded: Promise<DashboardFiles> | undefined;

export function dashboardFiles(): Promise<DashboardFiles> {
  loaded ??= load().catch((err: unknown) => {
    loaded = undefined; // tried again on the next request (after `npm run build`, say)
    throw err;
  });
  return loaded;
}

/**
 * dist/dashboard/ of this package: the same folder whether this module runs from the bundle in
 * dist/ or from src/ (tests), found by walking up to the package.json.
 */
function builtDir(): URL {
  let dir = new URL("./", import.meta.url);
  for (let i = 0; i < 4 && !existsSync(new URL("package.json", dir)); i++) dir = new URL("../", dir);
  return new URL("dist/dashboard/", dir);
}

async function load(): Promise<DashboardFiles> {
  const dir = builtDir();
  if (!existsSync(new URL("dashboard.js", dir))) {
    throw new Error(`the dashboard is not built (${dir.pathname}): run \`npm run build\``);
  }
  const [js, css, template] = await Promise.all(
    ["dashboard.js", "dashboard.css", "index.html"].map((name) => readFile(new URL(name, dir), "utf8")),
  );
  const jsPath = `${DASHBOARD_ASSETS}/dashboard.${contentHash(js as string)}.js`;
  const cssPath = `${DASHBOARD_ASSETS}/dashboard.${contentHash(css as string)}.css`;
  const html = (template as string).replace("{{js}}", jsPath).replace("{{css}}", cssPath);
  const [script, styles] = await Promise.all([
    createAsset("application/javascript; charset=utf-8", js as string, true),
    createAsset("text/css; charset=utf-8", css as string, true),
  ]);
  return {
    template: html,
    assets: new Map([
      [jsPath, script],
      [cssPath, styles],
    ]),
  };
}

/** The page of one service: its template with the service's events, as JSON in a meta element's content. */
export async function dashboardPage(config: DashboardConfig): Promise<Asset> {
  const { template } = await dashboardFiles();
  const json = JSON.stringify({ trackEvents: config.trackEvents, funnelEvents: config.funnelEvents });
  return createAsset("text/html; charset=utf-8", template.replace("{{config}}", escapeAttribute(json)), false);
}

const escapeAttribute = (text: string) =>
  text.replace(/[&"<>]/g, (c) => ({ "&": "&amp;", '"': "&quot;", "<": "&lt;", ">": "&gt;" })[c] as string);
