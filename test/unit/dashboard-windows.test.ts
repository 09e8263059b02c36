import assert from "node:assert/strict";
import { test } from "node:test";
import { toSeconds, windowsAt, windowsKey } from "../../web/dashboard/windows.js";

const H = 3_600_000;

test("today and this month run between local midnights in the viewer's zone", () => {
  // 02:30 UTC on 1 Dec 2026 is still 30 Nov in Santiago (-03:00 in summer).
  const now = Date.UTC(2026, 11, 1, 2, 30);
  assert.deepEqual(windowsAt(now, "America/Santiago"), {
    zone: "America/Santiago",
    today: { from: "2026-11-30T03:00:00.000Z", to: "2026-12-01T03:00:00.000Z" },
    month: { from: "2026-11-01T03:00:00.000Z", to: "2026-12-01T03:00:00.000Z" },
    funnel: { from: "2026-11-01T03:00:00.000Z", to: "2026-12-01T03:00:00.000Z", timeZone: "America/Santiago" },
  });
  // The same instant in UTC is already December.
  assert.deepEqual(windowsAt(now, "UTC").today, { from: "2026-12-01T00:00:00.000Z", to: "2026-12-02T00:00:00.000Z" });
  assert.deepEqual(windowsAt(now, "UTC").month, { from: "2026-12-01T00:00:00.000Z", to: "2027-01-01T00:00:00.000Z" });
  // East of UTC, the local day began the evening before in UTC.
  assert.deepEqual(windowsAt(now, "Asia/Tokyo").today, {
    from: "2026-11-30T15:00:00.000Z",
    to: "2026-12-01T15:00:00.000Z",
  });
});

test("days with a DST change have 23 or 25 hours; a midnight inside a DST gap starts the day at 01:00", () => {
  // Europe/Berlin springs forward on 29 Mar 2026 (23 h) and falls back on 25 Oct 2026 (25 h).
  const spring = windowsAt(Date.UTC(2026, 2, 29, 12), "Europe/Berlin").today;
  assert.equal(Date.parse(spring.to) - Date.parse(spring.from), 23 * H);
  const fall = windowsAt(Date.UTC(2026, 9, 25, 12), "Europe/Berlin").today;
  assert.equal(Date.parse(fall.to) - Date.parse(fall.from), 25 * H);
  assert.equal(fall.from, "2026-10-24T22:00:00.000Z");
  // America/Santiago moves 00:00 -> 01:00 on 6 Sep 2026: the day begins at 01:00 -03:00 = 04:00 UTC,
  // and the day before ends there.
  assert.deepEqual(windowsAt(Date.UTC(2026, 8, 6, 12), "America/Santiago").today, {
    from: "2026-09-06T04:00:00.000Z",
    to: "2026-09-07T03:00:00.000Z",
  });
  assert.equal(windowsAt(Date.UTC(2026, 8, 6, 3, 59), "America/Santiago").today.to, "2026-09-06T04:00:00.000Z");
  // December's month runs into the next year.
  assert.deepEqual(windowsAt(Date.UTC(2026, 11, 31, 12), "UTC").month, {
    from: "2026-12-01T00:00:00.000Z",
    to: "2027-01-01T00:00:00.000Z",
  });
});

test("a half-hour zone keeps its own windows, but the funnel falls back to the UTC month", () => {
  const now = Date.UTC(2026, 11, 15, 12);
  const w = windowsAt(now, "Asia/Kolkata");
  assert.deepEqual(w.today, { from: "2026-12-14T18:30:00.000Z", to: "2026-12-15T18:30:00.000Z" });
  assert.deepEqual(w.month, { from: "2026-11-30T18:30:00.000Z", to: "2026-12-31T18:30:00.000Z" });
  assert.deepEqual(w.funnel, { from: "2026-12-01T00:00:00.000Z", to: "2027-01-01T00:00:00.000Z", timeZone: "UTC" });
});

test("the windows change at local midnight, not before", () => {
  const zone = "America/New_York"; // -05:00 in December
  const beforeMidnight = Date.UTC(2026, 11, 2, 4, 59, 59);
  assert.equal(windowsKey(windowsAt(beforeMidnight, zone)), windowsKey(windowsAt(beforeMidnight - 23 * H, zone)));
  assert.notEqual(windowsKey(windowsAt(beforeMidnight, zone)), windowsKey(windowsAt(beforeMidnight + 1000, zone)));
});

test("point starts become unix seconds for the charts", () => {
  assert.equal(toSeconds("2026-12-01T03:00:00.000Z"), Date.UTC(2026, 11, 1, 3) / 1000);
  assert.equal(toSeconds("2026-12-01T03:07:00Z"), Date.UTC(2026, 11, 1, 3, 7) / 1000);
});
