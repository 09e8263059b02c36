/**
 * Debian's chromium driven by playwright-core (never a downloaded browser), with a fresh profile,
 * and every request to another host refused and recorded: the pages must load nothing from outside.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
export const ARTIFACTS = join(process.cwd(), "artifacts", "browser");

export interface TestBrowser {
  context: BrowserContext;
  /** URLs of requests to another host, refused. */
  refused: string[];
  close(): Promise<void>;
}

export async function launchBrowser(
  allowedOrigin: string,
  options: { timezoneId?: string } = {},
): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "stats-chromium-"));
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
    ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
  });
  const refused: string[] = [];
  const allowed = new URL(allowedOrigin);
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    const local = url.host === allowed.host || url.protocol === "data:" || url.protocol === "blob:";
    if (local) return route.continue();
    refused.push(url.href);
    return route.abort("blockedbyclient");
  });
  return {
    context,
    refused,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
