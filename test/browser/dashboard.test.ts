/**
 * The dashboard (docs/contract.md §10) end to end in a real browser: the service on a real Redis and a real
 * ZeroMQ publisher; Debian's chromium, with every other host refused, in a zone that is not the
 * machine's. What a viewer would check: the numbers are the API's for the same window (asked of the
 * API here), the URL is the view, the funnel and the top list, live updates over WebSocket and SSE,
 * reconnecting after a restart, the token prompt, a phone's width, dark mode, axe-core in the page,
 * and the weight of what the page loads. Screenshots go to artifacts/browser/.
 */
import assert from "node:assert/strict";
import { get } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Page } from "playwright-core";
import type { Service } from "../../src/commands/serve.js";
import { type AuthFixture, BAD_TOKEN, startAuthFixture, TOKENS } from "../helpers/auth.js";
import { ARTIFACTS, launchBrowser, type TestBrowser } from "../helpers/browser.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService, wiring } from "../helpers/service.js";
import { order, pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

let redis: TestRedis;
let publisher: TestPublisher;
let service: Service;
let browser: TestBrowser;
let flags: string[];
/** The browser's own zone: not the machine's (UTC), and not the zone of the shared URL. */
const BROWSER_ZONE = "America/Santiago";
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const WAIT = { timeout: 30_000 };

before(async () => {
  redis = await startRedis();
  publisher = await startPublisher();
  flags = wiring(redis.url, publisher.endpoint, redis.prefix());
  service = await startTestService(flags);
  await publisher.waitForSubscribers();
  // Three accounts with different counts (the top list's order), unique visits, and orders that
  // moved through statuses: 4 reached the cart, 3 the checkout, 2 were paid.
  const messages = [
    ...Array.from({ length: 7 }, (_, i) => pageview("acme", i < 2 ? { unq: "1" } : {})),
    ...Array.from({ length: 4 }, () => pageview("globex")),
    ...Array.from({ length: 2 }, () => pageview("initech")),
    ...["cart", "cart", "cart", "cart", "checkout", "checkout", "checkout", "paid", "paid"].map((s) =>
      order("acme", s),
    ),
  ];
  for (const m of messages) await publisher.send(m);
  const all = { account: "all", event: "pageview", granularity: "DAY", last: 1, timeZone: "UTC" };
  await eventually(async () => (await seriesTotal(service.url, all)).total === 13, "the events stored");
  browser = await launchBrowser(service.url, { timezoneId: BROWSER_ZONE });
});
after(async () => {
  await browser?.close();
  await service?.stop();
  publisher?.close();
  await redis?.stop();
});

// --- helpers -----------------------------------------------------------------------------------
async function api<T>(base: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const res = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: Array<{ message: string }> };
  if (body.errors?.length || !body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** The API's own answer for a window: what the page must show. */
async function seriesTotal(
  base: string,
  v: Record<string, unknown>,
  withPrevious = false,
): Promise<{ total: number; previous?: { total: number } }> {
  const q = `query($account: String!, $event: String!, $granularity: Granularity!, $last: Int, $timeZone: String) {
    series(account: $account, event: $event, granularity: $granularity, last: $last, timeZone: $timeZone) {
      total ${withPrevious ? "previous { total }" : ""}
    }
  }`;
  return (await api<{ series: { total: number; previous?: { total: number } } }>(base, q, v)).series;
}

const text = async (page: Page, selector: string) => (await page.locator(selector).textContent()) ?? "";
const digits = (s: string) => Number(s.replace(/[^0-9]/g, "") || "NaN");
const total = async (page: Page) => digits(await text(page, "#total"));
const canvas = (page: Page) => page.locator("#chart canvas").evaluate((c) => (c as HTMLCanvasElement).toDataURL());

async function open(query = "", base = service.url): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${base}/${query}`);
  await page.waitForSelector("#connection[data-state=live]", WAIT);
  await page.waitForFunction(() => /\d/.test(document.getElementById("total")?.textContent ?? ""), null, WAIT);
  // A marker that a reload would wipe out.
  await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
  return page;
}

async function waitForTotal(page: Page, want: number): Promise<void> {
  await page.waitForFunction(
    (n) => Number(document.getElementById("total")?.textContent?.replace(/[^0-9]/g, "")) === n,
    want,
    WAIT,
  );
}

async function publishAndSee(page: Page, n: number, what: string): Promise<void> {
  const was = await total(page);
  const chartBefore = await canvas(page);
  for (let i = 0; i < n; i++) await publisher.send(pageview("acme"));
  await waitForTotal(page, was + n);
  // The chart is redrawn (today's total and its hours are two subscriptions: it may come a frame later).
  await page.waitForFunction(
    (before) => document.querySelector<HTMLCanvasElement>("#chart canvas")?.toDataURL() !== before,
    chartBefore,
    WAIT,
  );
  assert.equal(
    await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument),
    true,
    `${what}: no reload`,
  );
}

/** axe-core, run in the page: the serious and critical violations, with where they are. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    interface AxeViolation {
      id: string;
      impact: string | null;
      nodes: Array<{ target: unknown[] }>;
    }
    const { violations } = await axe.run();
    return violations.map((v) => ({ id: v.id, impact: v.impact, where: v.nodes.map((n) => n.target.join(" ")) }));
  });
  return found
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.where.join(", ")}`);
}

// --- the view ----------------------------------------------------------------------------------
test("without a zone in the URL the page uses the browser's own, and shows today's total as the API counts it", async () => {
  const page = await open();
  assert.equal(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone), BROWSER_ZONE);
  assert.equal(await text(page, "#zone"), BROWSER_ZONE);
  assert.equal(await page.locator("#tz").inputValue(), BROWSER_ZONE);
  assert.equal(await page.locator("#range").inputValue(), "today");
  assert.equal(await page.locator("#account").inputValue(), "all");
  const want = await seriesTotal(
    service.url,
    { account: "all", event: "pageview", granularity: "DAY", last: 1, timeZone: BROWSER_ZONE },
    true,
  );
  assert.equal(await total(page), want.total);
  assert.match(await text(page, "#total-title"), /^Page views · Today$/);
  // The comparison names the previous range and its total.
  assert.match(await text(page, "#change"), new RegExp(`vs all of yesterday \\(${want.previous?.total}\\)`));
  await page.close();
});

test("a shared URL in Asia/Kolkata shows the API's totals for the same windows, range by range", async () => {
  const page = await open("?account=acme&range=24h&tz=Asia/Kolkata");
  assert.equal(await text(page, "#zone"), "Asia/Kolkata");
  assert.equal(await text(page, "#zone-offset"), "(UTC+05:30)");
  const windows = {
    "24h": { granularity: "HOUR", last: 24, title: "Last 24 hours by hour" },
    today: { granularity: "DAY", last: 1, title: "Today by hour" },
    "60m": { granularity: "MINUTE", last: 60, title: "Last 60 minutes by minute" },
    "7d": { granularity: "DAY", last: 7, title: "Last 7 days by day" },
  } as const;
  for (const [range, w] of Object.entries(windows)) {
    if (range !== "24h") {
      await page.selectOption("#range", range);
      assert.match(page.url(), new RegExp(`range=${range}`));
    }
    const want = await seriesTotal(service.url, {
      account: "acme",
      event: "pageview",
      granularity: w.granularity,
      last: w.last,
      timeZone: "Asia/Kolkata",
    });
    assert.equal(want.total, 7, `${range}: the API counts acme's 7 page views`);
    await waitForTotal(page, want.total);
    assert.equal(await text(page, "#chart-title"), w.title);
  }
  // 30 days compared with the 30 before reaches past the minute data a +05:30 zone needs: the
  // range alone is shown, and why there is no comparison.
  await page.selectOption("#range", "30d");
  await waitForTotal(page, 7);
  await page.waitForFunction(() => /No comparison/.test(document.getElementById("chart-note")?.textContent ?? ""));
  // The chart drew the range alone, and the note stayed.
  await page.waitForFunction(() => /: 7 so far/.test(document.getElementById("readout")?.textContent ?? ""));
  assert.match(await text(page, "#chart-note"), /No comparison: .*minute/);
  assert.equal(await text(page, "#change"), "");
  // Funnels are kept per UTC hour: Kolkata's days begin inside one, so the funnel says it shows UTC days.
  assert.match(await text(page, "#funnel-summary"), /in UTC: funnels are kept per UTC hour/);
  await page.close();
});

/** A page in a browser of its own: a page's clock is its whole context's. */
async function clockPage(): Promise<{ page: Page; close(): Promise<void> }> {
  const own = await launchBrowser(service.url, { timezoneId: BROWSER_ZONE });
  return { page: await own.context.newPage(), close: () => own.close() };
}

test("a day with a DST change shows its 23 or 25 hours, and says why", async () => {
  const { page, close } = await clockPage();
  // The page's clock on a past DST day (the API answers any past window); Berlin's clocks went back
  // on 26 Oct 2025 and forward on 29 Mar 2026.
  for (const [day, hours, change] of [
    ["2025-10-26T12:00:00Z", 25, "went back"],
    ["2026-03-29T12:00:00Z", 23, "went forward"],
  ] as const) {
    await page.clock.setFixedTime(new Date(day));
    await page.goto(`${service.url}/?tz=Europe/Berlin&range=today`);
    await page.waitForFunction(
      (h) => document.getElementById("chart-note")?.textContent?.includes(`${h} hours`),
      hours,
      WAIT,
    );
    assert.equal(await text(page, "#chart-note"), `Today has ${hours} hours in Europe/Berlin: the clocks ${change}.`);
  }
  await close();
});

test("today moves on at the zone's midnight by itself: a new day, its first hour so far", async () => {
  const { page, close } = await clockPage();
  // Two seconds before midnight in Berlin at the end of its 25-hour day (the page's clock only).
  await page.clock.install({ time: new Date("2025-10-26T22:59:58Z") });
  await page.goto(`${service.url}/?tz=Europe/Berlin&range=today`);
  await page.waitForFunction(
    () => document.getElementById("chart-note")?.textContent?.includes("25 hours"),
    null,
    WAIT,
  );
  assert.match(await text(page, "#readout"), /^Sun 23:00: 0 so far/);
  await page.clock.runFor(3_000);
  await page.waitForFunction(
    () => /^Mon 00:00: 0 so far/.test(document.getElementById("readout")?.textContent ?? ""),
    null,
    WAIT,
  );
  assert.equal(await text(page, "#chart-note"), "", "an ordinary day of 24 hours");
  await close();
});

test("every control changes the URL, back and forward restore the view, and the keyboard reaches them all", async () => {
  const page = await open("?range=today");
  await page.selectOption("#range", "7d");
  assert.match(page.url(), /range=7d/);
  await page.selectOption("#event", "unique");
  assert.match(page.url(), /event=unique/);
  await waitForTotal(page, 2);
  assert.match(await text(page, "#total-title"), /^Unique visits · Last 7 days$/);
  assert.match(await text(page, "#event-help"), /visit/);
  await page.goBack();
  await page.waitForFunction(() => (document.getElementById("event") as HTMLSelectElement).value === "pageview");
  assert.match(page.url(), /range=7d/);
  await waitForTotal(page, 13);
  await page.goBack();
  await page.waitForFunction(() => (document.getElementById("range") as HTMLSelectElement).value === "today");
  await page.goForward();
  await page.waitForFunction(() => (document.getElementById("range") as HTMLSelectElement).value === "7d");
  // Keyboard: Tab visits every control; Space unticks the comparison.
  const reached: string[] = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    reached.push(await page.evaluate(() => document.activeElement?.id ?? ""));
  }
  for (const id of ["account", "event", "range", "funnel", "tz", "compare"]) assert.ok(reached.includes(id), id);
  // The chart reads out segment by segment from the keyboard: the last of the 7 days is today's.
  await page.focus("#chart");
  await page.keyboard.press("End");
  assert.match(await text(page, "#readout"), /: 13 so far/);
  await page.keyboard.press("ArrowLeft");
  assert.match(await text(page, "#readout"), /: 0 · previous period: 0$/);
  await page.focus("#compare");
  await page.keyboard.press("Space");
  assert.match(page.url(), /compare=none/);
  await page.waitForFunction(() => document.getElementById("change")?.textContent === "");
  await page.close();
});

test("a value the page does not know falls back to the default, with a note naming it", async () => {
  const page = await open("?range=week&event=order&tz=Mars/Olympus&compare=maybe");
  const notes = await text(page, "#notes");
  for (const given of ["week", "order", "Mars/Olympus", "maybe"]) assert.match(notes, new RegExp(`“${given}”`));
  assert.equal(await page.locator("#range").inputValue(), "today");
  assert.equal(await page.locator("#event").inputValue(), "pageview");
  assert.equal(await text(page, "#zone"), BROWSER_ZONE);
  // The lists offer only what fits them: tracked events for the chart, funnel events for the funnel.
  assert.deepEqual(
    await page.locator("#event option").evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value)),
    ["pageview", "unique"],
  );
  assert.deepEqual(
    await page.locator("#funnel option").evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value)),
    ["order"],
  );
  await page.close();
});

test("the funnel shows each status's share and the conversion from the one before, never a sum called orders", async () => {
  const page = await open("?account=acme&range=today&tz=UTC");
  await page.waitForFunction(() => document.querySelectorAll("#funnel-rows li").length === 3, null, WAIT);
  const rows = await page.locator("#funnel-rows li").allTextContents();
  assert.match(rows[0] ?? "", /^cart.*4.*44\.4% of order events$/);
  assert.match(rows[1] ?? "", /^checkout.*3.*33\.3% of order events · 75% of cart$/);
  assert.match(rows[2] ?? "", /^paid.*2.*22\.2% of order events · 66\.7% of checkout$/);
  const summary = await text(page, "#funnel-summary");
  assert.match(summary, /^9 order events\./);
  assert.doesNotMatch(summary, /9 orders/);
  await page.close();
});

test("with account=all the top 10 accounts are listed by count, live, each a link to its own view", async () => {
  const page = await open("?range=today&tz=UTC");
  await page.waitForFunction(() => document.querySelectorAll("#top li a").length === 3, null, WAIT);
  const names = await page.locator("#top li a").allTextContents();
  assert.deepEqual(names, ["acme", "globex", "initech"]);
  const counts = (await page.locator("#top li .count").allTextContents()).map(digits);
  assert.deepEqual(counts, [7, 4, 2]);
  // The API's own ranking for the same window, and its total.
  const want = await api<{ top: { accounts: Array<{ account: string }>; accountCount: number } }>(
    service.url,
    `{ top(event: "pageview", granularity: DAY, last: 1, timeZone: "UTC") { accountCount accounts { account } } }`,
    {},
  );
  assert.deepEqual(
    want.top.accounts.map((a) => a.account),
    names,
  );
  assert.match(await text(page, "#top-summary"), /^3 accounts with page views in this range\.$/);
  // Live: initech overtakes the others without a reload.
  for (let i = 0; i < 6; i++) await publisher.send(pageview("initech"));
  await page.waitForFunction(
    () => [...document.querySelectorAll("#top li a")].map((a) => a.textContent).join() === "initech,acme,globex",
    null,
    WAIT,
  );
  const href = (await page.locator("#top li a").nth(2).getAttribute("href")) ?? "";
  assert.match(href, /account=globex/);
  assert.match(href, /range=today/);
  await page.locator("#top li a").nth(2).focus();
  await page.keyboard.press("Enter");
  await waitForTotal(page, 4);
  assert.match(page.url(), /account=globex/);
  assert.equal(await page.locator("#top-card").isHidden(), true, "an account's view has no top list");
  assert.equal(await page.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument), true);
  await page.close();
});

test("GraphiQL loads from the service alone and runs its example query", async () => {
  const page = await browser.context.newPage();
  await page.goto(`${service.url}/graphql`);
  await page.waitForSelector(".graphiql-execute-button", { timeout: 60_000 });
  await page.waitForFunction(
    () => document.querySelector(".graphiql-editor")?.textContent?.includes("stats("),
    null,
    WAIT,
  );
  await page.click(".graphiql-execute-button");
  await page.waitForFunction(
    () => document.querySelector(".graphiql-response")?.textContent?.includes('"granularity"'),
    null,
    WAIT,
  );
  // Monaco renders spaces as no-break spaces. innerText: the lines as they are laid out, as a person reads them.
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered lines, with their breaks
  const response = (await page.locator(".graphiql-response").innerText()).replace(/\s+/g, " ");
  assert.match(response, /"granularity": "MONTH"/);
  assert.match(response, /"accounts": \[ "acme", "all", "globex", "initech" \]/);
  assert.match(response, /"total": 19,/, "the 19 page views published above");
  await page.screenshot({ path: join(ARTIFACTS, "graphiql.png") });
  await page.close();
});

// --- live ----------------------------------------------------------------------------------------
test("the numbers and the chart update live over WebSocket, without a reload", async () => {
  const page = await open();
  assert.match(await text(page, "#connection"), /live · WebSocket/);
  await publishAndSee(page, 5, "WebSocket");
  await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
  await page.close();
});

test("the dashboard falls back to SSE and updates live there too", async () => {
  const page = await open("?transport=sse&range=60m");
  assert.match(await text(page, "#connection"), /live · SSE/);
  await publishAndSee(page, 3, "SSE");
  await page.close();
});

test("the dashboard shows the lost connection and reconnects on its own to a restarted service", async () => {
  const page = await open("?range=24h");
  const was = await total(page);
  const port = new URL(service.url).port;
  await service.stop();
  await page.waitForSelector("#connection[data-state=reconnecting]", WAIT);
  assert.match(await text(page, "#connection"), /reconnecting/);
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-reconnecting.png") });
  service = await startTestService([...flags, "--http", `127.0.0.1:${port}`]);
  await publisher.waitForSubscribers(2);
  await page.waitForSelector("#connection[data-state=live]", WAIT);
  assert.equal(await total(page), was, "the current state comes back first");
  await publishAndSee(page, 2, "after reconnecting");
  await page.close();
});

// --- tokens ----------------------------------------------------------------------------------------
test("with API tokens on, the page asks for one, keeps it for the tab, sends it as Authorization, never in the URL", async () => {
  const fixture: AuthFixture = await startAuthFixture();
  const tokenBrowser = await launchBrowser(fixture.service.url, { timezoneId: BROWSER_ZONE });
  try {
    const page = await tokenBrowser.context.newPage();
    const authorizations: string[] = [];
    page.on("request", (r) => {
      const auth = r.headers()["authorization"];
      if (auth) authorizations.push(auth);
    });
    await page.goto(`${fixture.service.url}/`);
    const dialog = page.locator("#token-dialog[open]");
    await dialog.waitFor(WAIT);
    assert.equal(await text(page, "#connection"), "token needed");
    // A wrong token: asked again, saying so.
    await page.fill("#token-input", BAD_TOKEN);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => /not accepted/.test(document.getElementById("token-reason")?.textContent ?? ""));
    await dialog.waitFor(WAIT);
    // A token for acme only may not read `all`: asked again, saying why.
    await page.fill("#token-input", TOKENS.acme);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => /may not read/.test(document.getElementById("token-reason")?.textContent ?? ""));
    // … which may read acme's own view: the prompt closed, the account picked from the keyboard.
    await page.keyboard.press("Escape");
    await page.focus("#account");
    await page.selectOption("#account", "acme");
    await page.waitForSelector("#connection[data-state=live]", WAIT);
    await waitForTotal(page, 2);
    assert.deepEqual(
      await page.locator("#account option").evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value)),
      ["acme"],
      "the accounts it may read",
    );
    assert.ok(authorizations.includes(`Bearer ${TOKENS.acme}`));
    // Back to every account: refused again, and an all-accounts token opens it.
    await page.goBack();
    await dialog.waitFor(WAIT);
    await page.fill("#token-input", TOKENS.admin);
    await page.keyboard.press("Enter");
    await page.waitForSelector("#connection[data-state=live]", WAIT);
    await waitForTotal(page, 6);
    assert.equal(await page.locator("#token-dialog").getAttribute("open"), null);
    assert.ok(authorizations.includes(`Bearer ${TOKENS.admin}`), "sent as an Authorization header");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("stats-dashboard-token")), TOKENS.admin);
    assert.doesNotMatch(page.url(), /token|admin-token/);
    // Kept for the tab: a reload does not ask again.
    await page.reload();
    await page.waitForSelector("#connection[data-state=live]", WAIT);
    await waitForTotal(page, 6);
    assert.equal(await page.locator("#token-dialog").getAttribute("open"), null);
    assert.deepEqual(tokenBrowser.refused, []);
  } finally {
    await tokenBrowser.close();
    await fixture.stop();
  }
});

// --- phone, dark, accessibility, weight --------------------------------------------------------------
test("a phone 375 px wide sees the page without sideways scrolling", async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 375, height: 812 });
  await page.goto(`${service.url}/?range=24h`);
  await page.waitForFunction(() => /\d/.test(document.getElementById("total")?.textContent ?? ""), null, WAIT);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `the page is ${width} px wide`);
  assert.deepEqual(await axeViolations(page), []);
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-phone.png"), fullPage: true });
  await page.close();
});

test("light and dark follow the system, and axe-core finds no serious or critical violation in either", async () => {
  const page = await open("?range=24h");
  const background = () =>
    page.evaluate(() => {
      const [r, g, b] = (getComputedStyle(document.documentElement).backgroundColor.match(/\d+/g) ?? []).map(Number);
      return ((r ?? 0) + (g ?? 0) + (b ?? 0)) / 3;
    });
  await page.emulateMedia({ colorScheme: "light" });
  assert.ok((await background()) > 200, "light");
  assert.deepEqual(await axeViolations(page), []);
  await page.emulateMedia({ colorScheme: "dark" });
  await page.waitForFunction(() => !/244/.test(getComputedStyle(document.documentElement).backgroundColor));
  assert.ok((await background()) < 60, "dark");
  assert.deepEqual(await axeViolations(page), []);
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-dark.png"), fullPage: true });
  await page.close();
});

test("the page's scripts and styles weigh under 150 KB gzipped, and nothing comes from another host", async () => {
  const html = await (await fetch(`${service.url}/dashboard`)).text();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/dashboard\/[^"]+)"/g)].map((m) => m[1] as string);
  assert.equal(assets.length, 2, "one script and one stylesheet");
  let bytes = 0;
  for (const path of assets) {
    bytes += await new Promise<number>((resolve, reject) => {
      get(`${service.url}${path}`, { headers: { "accept-encoding": "gzip" } }, (res) => {
        assert.equal(res.headers["content-encoding"], "gzip");
        let n = 0;
        res.on("data", (c: Buffer) => {
          n += c.length;
        });
        res.on("end", () => resolve(n));
      }).on("error", reject);
    });
  }
  console.log(`dashboard scripts and styles: ${(bytes / 1024).toFixed(1)} KB gzipped`);
  assert.ok(bytes < 150 * 1024, `${bytes} bytes`);
  assert.deepEqual(browser.refused, []);
});
