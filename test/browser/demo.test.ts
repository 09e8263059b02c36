/**
 * `npm run demo` in a real browser: the dashboard shows the simulated month and moves on its own,
 * with nothing loaded from another host. Its screenshot (artifacts/browser/demo-dashboard.png) is
 * the one in the README (docs/dashboard.png).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { ARTIFACTS, launchBrowser, type TestBrowser } from "../helpers/browser.js";
import { type CliRun, runCli } from "../helpers/cli.js";
import { eventually, freePort } from "../helpers/ports.js";

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
  browser = await launchBrowser(base);
  const page = await browser.context.newPage();
  await page.goto(`${base}/`);
  await page.waitForSelector("#connection[data-state=live]", { timeout: 30_000 });
  const total = async () =>
    Number(((await page.locator("#total-month").textContent()) ?? "").replace(/[^0-9]/g, "") || "0");
  await page.waitForFunction(() => /\d/.test(document.getElementById("total-month")?.textContent ?? ""), null, {
    timeout: 30_000,
  });
  const first = await total();
  assert.ok(first > 0, "history is shown");
  await page.waitForFunction(
    ([was]) => Number(document.getElementById("total-month")?.textContent?.replace(/[^0-9]/g, "")) > (was as number),
    [first],
    { timeout: 30_000 },
  );
  const statuses = await page.locator("#funnel .funnel-row").count();
  assert.ok(statuses >= 3, `the funnel shows its statuses (${statuses})`);
  // The picture once everything is drawn: each chart holds its canvas, every card a number, and
  // two frames have been painted since (uPlot draws on the next frame).
  await page.waitForFunction(
    () =>
      ["chart-last-hour", "chart-today", "chart-month"].every((id) => document.querySelector(`#${id} canvas`)) &&
      ["total-last-hour", "total-today", "total-month", "total-funnel"].every((id) =>
        /\d/.test(document.getElementById(id)?.textContent ?? ""),
      ),
    null,
    { timeout: 30_000 },
  );
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path: join(ARTIFACTS, "demo-dashboard.png") });
  console.log(`demo dashboard: month total ${first} → ${await total()} without a reload`);
  assert.deepEqual(browser.refused, []);
});
