/**
 * `npm run demo` in a real browser: the dashboard shows the simulated month and moves on its own,
 * with nothing loaded from another host. Its screenshots, on a desktop and on a phone, are the
 * README's pictures: docs/dashboard.png and docs/dashboard-phone.png.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { launchBrowser, type TestBrowser } from "../helpers/browser.js";
import { type CliRun, runCli } from "../helpers/cli.js";
import { eventually, freePort } from "../helpers/ports.js";

const DOCS = join(process.cwd(), "docs");
let demo: CliRun | undefined;
let browser: TestBrowser | undefined;
after(async () => {
  await browser?.close();
  demo?.child.kill("SIGINT");
  await demo?.result;
});

test("the demo's dashboard shows the month so far and counts up live without a reload", async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  demo = runCli(["demo", "--http", `127.0.0.1:${port}`, "--rate", "30"]);
  await eventually(() => /Ctrl-C to stop/.test(demo?.output().stdout ?? ""), "the demo's URLs", 60_000);
  // A viewer in Berlin: the page is in their zone, named on it.
  browser = await launchBrowser(base, { timezoneId: "Europe/Berlin" });
  const page = await browser.context.newPage();
  // The last 24 hours: a full day of the simulated history, whatever the time of day the test runs.
  await page.goto(`${base}/?range=24h`);
  await page.waitForSelector("#connection[data-state=live]", { timeout: 30_000 });
  const total = async () => Number(((await page.locator("#total").textContent()) ?? "").replace(/[^0-9]/g, "") || "0");
  await page.waitForFunction(() => /\d/.test(document.getElementById("total")?.textContent ?? ""), null, {
    timeout: 30_000,
  });
  const first = await total();
  assert.ok(first > 0, "history is shown");
  await page.waitForFunction(
    ([was]) => Number(document.getElementById("total")?.textContent?.replace(/[^0-9]/g, "")) > (was as number),
    [first],
    { timeout: 30_000 },
  );
  const statuses = await page.locator("#funnel-rows li").count();
  assert.ok(statuses >= 3, `the funnel shows its statuses (${statuses})`);
  // uPlot draws on the next frame: two painted frames before each picture.
  const painted = (p: typeof page) =>
    p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForFunction(() => /%/.test(document.getElementById("change")?.textContent ?? ""), null, {
    timeout: 30_000,
  });
  await painted(page);
  await page.screenshot({ path: join(DOCS, "dashboard.png"), fullPage: true });
  const phone = await browser.context.newPage();
  await phone.setViewportSize({ width: 375, height: 812 });
  await phone.goto(`${base}/?range=24h`);
  await phone.waitForFunction(() => /%/.test(document.getElementById("change")?.textContent ?? ""), null, {
    timeout: 30_000,
  });
  await painted(phone);
  await phone.screenshot({ path: join(DOCS, "dashboard-phone.png"), fullPage: true });
  console.log(`demo dashboard: last 24 hours ${first} → ${await total()} without a reload`);
  assert.deepEqual(browser.refused, []);
});
