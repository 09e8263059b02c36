import assert from "node:assert/strict";
import { test } from "node:test";
import { planKey, planRange } from "../../web/dashboard/ranges.js";
import { RANGES, readState, writeState } from "../../web/dashboard/state.js";

const H = 3_600_000;
const defaults = { events: ["pageview", "unique"], funnels: ["order", "signup"], zone: "Europe/Berlin" };

test("an empty query string is the default view: all accounts, the first events, today, the browser's zone, compared", () => {
  assert.deepEqual(readState("", defaults), {
    state: {
      account: "all",
      event: "pageview",
      funnel: "order",
      range: "today",
      tz: "Europe/Berlin",
      compare: "previous",
    },
    fallbacks: [],
  });
});

test("a URL opens its view, and writing a view gives the same URL back", () => {
  const search = "?account=acme&event=unique&funnel=signup&range=12m&tz=Asia%2FKolkata&compare=none";
  const { state, fallbacks } = readState(search, defaults);
  assert.deepEqual(fallbacks, []);
  assert.deepEqual(state, {
    account: "acme",
    event: "unique",
    funnel: "signup",
    range: "12m",
    tz: "Asia/Kolkata",
    compare: "none",
  });
  assert.equal(writeState(state), search);
  for (const range of RANGES) assert.equal(readState(`?range=${range}`, defaults).state.range, range);
});

test("a value the page does not know falls back to the default, and says which", () => {
  const { state, fallbacks } = readState(
    "?account=..&event=order&funnel=pageview&range=week&tz=Mars%2FOlympus&compare=maybe",
    defaults,
  );
  assert.deepEqual(state, readState("", defaults).state);
  assert.deepEqual(fallbacks, [
    { param: "account", given: "..", used: "all" },
    { param: "event", given: "order", used: "pageview" },
    { param: "funnel", given: "pageview", used: "order" },
    { param: "range", given: "week", used: "today" },
    { param: "tz", given: "Mars/Olympus", used: "Europe/Berlin" },
    { param: "compare", given: "maybe", used: "previous" },
  ]);
});

test("each range is its §7 window, drawn at its natural granularity", () => {
  const now = Date.UTC(2026, 11, 15, 12, 34);
  const p = (r: (typeof RANGES)[number]) => planRange(r, "UTC", now);
  assert.deepEqual(p("60m").total, { granularity: "MINUTE", last: 60 });
  assert.deepEqual(p("60m").chart, { granularity: "MINUTE", last: 60 });
  assert.deepEqual(p("24h").chart, { granularity: "HOUR", last: 24 });
  assert.deepEqual(p("today").total, { granularity: "DAY", last: 1 });
  assert.deepEqual(p("today").chart, {
    granularity: "HOUR",
    from: "2026-12-15T00:00:00.000Z",
    to: "2026-12-16T00:00:00.000Z",
  });
  assert.deepEqual(p("7d").chart, { granularity: "DAY", last: 7 });
  assert.deepEqual(p("30d").chart, { granularity: "DAY", last: 30 });
  assert.deepEqual(p("month").total, { granularity: "MONTH", last: 1 });
  assert.deepEqual(p("month").chart, {
    granularity: "DAY",
    from: "2026-12-01T00:00:00.000Z",
    to: "2027-01-01T00:00:00.000Z",
  });
  assert.deepEqual(p("12m").chart, { granularity: "MONTH", last: 12 });
  // Funnels have no minutes: the hour so far.
  assert.deepEqual(p("60m").funnel, { granularity: "HOUR", last: 1, timeZone: "UTC" });
});

test("today runs between the zone's midnights: 23 or 25 hours on a DST day, from 01:00 where midnight does not exist", () => {
  // Europe/Berlin springs forward on 29 Mar 2026 (23 h) and falls back on 25 Oct 2026 (25 h).
  const spring = planRange("today", "Europe/Berlin", Date.UTC(2026, 2, 29, 12)).chart;
  assert.equal(Date.parse(spring.to ?? "") - Date.parse(spring.from ?? ""), 23 * H);
  const fall = planRange("today", "Europe/Berlin", Date.UTC(2026, 9, 25, 12)).chart;
  assert.equal(Date.parse(fall.to ?? "") - Date.parse(fall.from ?? ""), 25 * H);
  assert.equal(fall.from, "2026-10-24T22:00:00.000Z");
  // America/Santiago moves 00:00 -> 01:00 on 6 Sep 2026: the day begins at 01:00 -03:00 = 04:00 UTC.
  const santiago = planRange("today", "America/Santiago", Date.UTC(2026, 8, 6, 12)).chart;
  assert.equal(santiago.from, "2026-09-06T04:00:00.000Z");
  assert.equal(santiago.to, "2026-09-07T03:00:00.000Z");
  // West of UTC, 02:30 UTC on 1 Dec is still 30 Nov: this month is November.
  const month = planRange("month", "America/Santiago", Date.UTC(2026, 11, 1, 2, 30)).chart;
  assert.equal(month.from, "2026-11-01T03:00:00.000Z");
  assert.equal(month.to, "2026-12-01T03:00:00.000Z");
});

test("a zone whose boundaries cut UTC hours keeps its own windows, but its funnel is asked in UTC", () => {
  const now = Date.UTC(2026, 11, 15, 12);
  const kolkata = planRange("today", "Asia/Kolkata", now);
  assert.equal(kolkata.chart.from, "2026-12-14T18:30:00.000Z");
  assert.deepEqual(kolkata.funnel, { granularity: "DAY", last: 1, timeZone: "UTC" });
  assert.equal(planRange("today", "America/Santiago", now).funnel.timeZone, "America/Santiago");
  // Hours in +05:30 are cut too; whole-hour zones keep theirs.
  assert.equal(planRange("24h", "Asia/Kolkata", now).funnel.timeZone, "UTC");
  assert.equal(planRange("24h", "Asia/Tokyo", now).funnel.timeZone, "Asia/Tokyo");
});

test("the from/to windows change at the zone's midnight, not before", () => {
  const zone = "America/New_York"; // -05:00 in December
  const beforeMidnight = Date.UTC(2026, 11, 2, 4, 59, 59);
  const key = (t: number) => planKey(planRange("today", zone, t));
  assert.equal(key(beforeMidnight), key(beforeMidnight - 23 * H));
  assert.notEqual(key(beforeMidnight), key(beforeMidnight + 1000));
});
