/**
 * End to end in a real browser: the service on a real Redis and a real ZeroMQ publisher; Debian's
 * chromium loads the dashboard and GraphiQL with every other host refused. Events published on the
 * bus change the numbers and a chart without a reload, over WebSocket and over the SSE fallback;
 * a restarted service is reconnected to on its own; GraphiQL runs its example query.
 * Screenshots go to artifacts/browser/.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Page } from "playwright-core";
import type { Service } from "../../src/commands/serve.js";
import { ARTIFACTS, launchBrowser, type TestBrowser } from "../helpers/browser.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService, wiring } from "../helpers/service.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

let redis: TestRedis;
let publisher: TestPublisher;
let service: Service;
let browser: TestBrowser;
let flags: string[];
const ZONE = "America/Santiago";

before(async () => {
  redis = await startRedis();
  publisher = await startPublisher();
  flags = wiring(redis.url, publisher.endpoint, redis.prefix());
  service = await startTestService(flags);
  await publisher.waitForSubscribers();
  // A viewer in another zone than the machine's (UTC): the page shows and names the viewer's.
  browser = await launchBrowser(service.url, { timezoneId: ZONE });
});
after(async () => {
  await browser?.close();
  await service?.stop();
  publisher?.close();
  await redis?.stop();
});

const text = async (page: Page, id: string) => (await page.locator(`#${id}`).textContent()) ?? "";
const number = async (page: Page, id: string) => Number((await text(page, id)).replace(/[^0-9]/g, "") || "NaN");
const canvas = (page: Page, id: string) =>
  page.locator(`#${id} canvas`).evaluate((c) => (c as HTMLCanvasElement).toDataURL());

async function openDashboard(query = ""): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${service.url}/${query}`);
  await page.waitForSelector("#connection[data-state=live]", { timeout: 30_000 });
  // A marker that a reload would wipe out.
  await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
  return page;
}

async function publishAndSee(page: Page, n: number, chartId: string, what: string): Promise<void> {
  const before = { today: await number(page, "total-today"), hour: await number(page, "total-last-hour") };
  const chartBefore = await canvas(page, chartId);
  for (let i = 0; i < n; i++) await publisher.send(pageview("acme", { unq: "1" }));
  await page.waitForFunction(
    ([want]) => Number(document.getElementById("total-today")?.textContent?.replace(/[^0-9]/g, "")) === want,
    [before.today + n],
    { timeout: 30_000 },
  );
  assert.equal(await number(page, "total-last-hour"), before.hour + n, `${what}: last 60 minutes`);
  assert.notEqual(await canvas(page, chartId), chartBefore, `${what}: the chart was redrawn`);
  assert.equal(await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument), true, "no reload");
}

test("the dashboard updates live over WebSocket, from events published on ZeroMQ", async () => {
  const page = await openDashboard();
  assert.match(await text(page, "connection"), /live · WebSocket/);
  assert.equal(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), ZONE);
  assert.match((await page.locator(".note").textContent()) ?? "", /Times in America\/Santiago\./);
  for (const zone of await page.locator(".zone").allTextContents()) assert.equal(zone, ZONE);
  assert.equal(await text(page, "funnel-zone"), ZONE);
  assert.equal(await page.locator("#graphiql").getAttribute("href"), "/graphql");
  await publishAndSee(page, 7, "chart-today", "WebSocket");
  await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
  await page.close();
});

test("the dashboard falls back to SSE and updates live there too", async () => {
  const page = await openDashboard("?transport=sse");
  assert.match(await text(page, "connection"), /live · SSE/);
  await publishAndSee(page, 3, "chart-last-hour", "SSE");
  await page.close();
});

test("the dashboard shows the lost connection and reconnects on its own to a restarted service", async () => {
  const page = await openDashboard();
  const total = await number(page, "total-today");
  const port = new URL(service.url).port;
  await service.stop();
  await page.waitForSelector("#connection[data-state=reconnecting]", { timeout: 30_000 });
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-reconnecting.png") });
  service = await startTestService([...flags, "--http", `127.0.0.1:${port}`]);
  await publisher.waitForSubscribers(2);
  await page.waitForSelector("#connection[data-state=live]", { timeout: 30_000 });
  assert.equal(await number(page, "total-today"), total, "the current state comes back first");
  await publishAndSee(page, 2, "chart-today", "after reconnecting");
  await page.close();
});

test("GraphiQL loads from the service alone and runs its example query", async () => {
  const page = await browser.context.newPage();
  await page.goto(`${service.url}/graphql`);
  await page.waitForSelector(".graphiql-execute-button", { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector(".graphiql-editor")?.textContent?.includes("stats("), null, {
    timeout: 30_000,
  });
  await page.click(".graphiql-execute-button");
  await page.waitForFunction(
    () => document.querySelector(".graphiql-response")?.textContent?.includes('"granularity"'),
    null,
    { timeout: 30_000 },
  );
  // Monaco renders spaces as no-break spaces. innerText: the lines as they are laid out, as a person reads them.
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered lines, with their breaks
  const response = (await page.locator(".graphiql-response").innerText()).replace(/\s+/g, " ");
  assert.match(response, /"granularity": "MONTH"/);
  assert.match(response, /"accounts": \[ "acme", "all" \]/);
  assert.match(response, /"total": 12,/, "the 12 events published above");
  await page.screenshot({ path: join(ARTIFACTS, "graphiql.png") });
  await page.close();
});

test("neither page asked another host for anything", () => {
  assert.deepEqual(browser.refused, []);
});
