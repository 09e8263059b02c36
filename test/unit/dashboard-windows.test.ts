import assert from "node:assert/strict";
import { test } from "node:test";
import { lastHourPoints, periodsAt, periodsKey, segmentStarts } from "../../web/dashboard/windows.js";

test("the dashboard's periods: today, this month, and the two hours the last 60 minutes span (UTC)", () => {
  const now = Date.UTC(2026, 0, 1, 0, 20, 30); // just after midnight on New Year: the previous hour is last year
  assert.deepEqual(periodsAt(now), {
    today: { year: 2026, month: 1, day: 1 },
    month: { year: 2026, month: 1 },
    previousHour: { year: 2025, month: 12, day: 31, hour: 23 },
    currentHour: { year: 2026, month: 1, day: 1, hour: 0 },
  });
  assert.equal(periodsKey(periodsAt(now)), periodsKey(periodsAt(now + 39 * 60_000)));
  assert.notEqual(periodsKey(periodsAt(now)), periodsKey(periodsAt(now + 40 * 60_000)), "rolls over at the hour");
});

test("the last 60 minutes end with the current minute and take each minute from its own hour", () => {
  const now = Date.UTC(2026, 3, 5, 10, 14, 59);
  const previous = new Map([
    [14, 100], // 09:14: just outside the window
    [15, 1], // 09:15: the first minute of the window
    [59, 2],
  ]);
  const current = new Map([
    [0, 3],
    [14, 4],
    [15, 999], // 10:15 is in the future
  ]);
  const { starts, counts } = lastHourPoints(now, previous, current);
  assert.equal(starts.length, 60);
  assert.equal(starts[0], Date.UTC(2026, 3, 5, 9, 15) / 1000);
  assert.equal(starts[59], Date.UTC(2026, 3, 5, 10, 14) / 1000);
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    1 + 2 + 3 + 4,
  );
  assert.equal(counts[0], 1);
  assert.equal(counts[59], 4);
});

test("segment start times for the charts", () => {
  assert.deepEqual(segmentStarts({ year: 2026, month: 2 }, 28).slice(-1), [Date.UTC(2026, 1, 28) / 1000]);
  assert.deepEqual(segmentStarts({ year: 2026, month: 2, day: 3 }, 24).slice(0, 2), [
    Date.UTC(2026, 1, 3, 0) / 1000,
    Date.UTC(2026, 1, 3, 1) / 1000,
  ]);
  assert.equal(segmentStarts({ year: 2026, month: 2, day: 3, hour: 4 }, 60)[59], Date.UTC(2026, 1, 3, 4, 59) / 1000);
});
