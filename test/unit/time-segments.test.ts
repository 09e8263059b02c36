import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type Granularity, segmentAt } from "../../src/domain/segments.js";
import { previousWindow, resolveWindow, WindowError } from "../../src/domain/window.js";
import { zoneOf } from "../../src/domain/zone.js";
import { referenceLast, referenceRange, TRANSITIONS, ZONES } from "../helpers/time-reference.js";

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();
const plain = (segments: ReadonlyArray<{ start: number; end: number; local: string }>) =>
  segments.map((s) => ({ start: iso(s.start), end: iso(s.end), local: s.local }));

const zone = fc.constantFrom(...ZONES);
/** Instants near offset changes, month ends and leap days, and anywhere from 1990 to 2037. */
const instant = fc.oneof(
  fc.tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -3 * DAY, max: 3 * DAY })).map(([t, d]) => t + d),
  fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2037, 11, 1) }),
);
/** How many segments a property may ask for, kept small enough for a minute-by-minute reference. */
const SIZES: Record<Granularity, number> = { MINUTE: 180, HOUR: 60, DAY: 5, MONTH: 2 };

describe("segments against a minute-by-minute reference", () => {
  for (const g of ["MINUTE", "HOUR", "DAY", "MONTH"] as const) {
    test(`last: N, ${g}`, () => {
      fc.assert(
        fc.property(zone, instant, fc.integer({ min: 1, max: SIZES[g] }), (z, now, n) => {
          const w = resolveWindow({ granularity: g, timeZone: z, last: n }, now, 1500);
          assert.deepEqual(plain(w.segments), plain(referenceLast(z, g, now, n)));
        }),
        { numRuns: g === "MONTH" ? 5 : 60 },
      );
    });

    test(`from/to and previous, ${g}`, () => {
      const span = (SIZES[g] * { MINUTE: 60_000, HOUR: 3_600_000, DAY: DAY, MONTH: 28 * DAY }[g]) / 2;
      fc.assert(
        fc.property(zone, instant, fc.integer({ min: 1, max: span }), (z, from, length) => {
          const to = from + length;
          const w = resolveWindow({ granularity: g, timeZone: z, from, to }, 0, 1500);
          assert.deepEqual(plain(w.segments), plain(referenceRange(z, g, from, to)));
          const prev = previousWindow(w);
          const ref = referenceLast(z, g, w.from - 1, w.segments.length);
          assert.deepEqual(plain(prev.segments), plain(ref));
        }),
        { numRuns: g === "MONTH" ? 4 : 40 },
      );
    });
  }
});

describe("DST days and repeated hours", () => {
  const santiago = zoneOf("America/Santiago");
  const newYork = zoneOf("America/New_York");
  assert.ok(santiago && newYork);
  const hours = (z: typeof santiago, local: string, at: string) => {
    const s = segmentAt(z, "DAY", Date.parse(at));
    assert.equal(s.local, local);
    return (s.end - s.start) / 3_600_000;
  };

  test("Santiago: 4 April 2026 has 25 hours, 6 September 2026 has 23", () => {
    assert.equal(hours(santiago, "2026-04-04", "2026-04-04T12:00:00Z"), 25);
    assert.equal(hours(santiago, "2026-09-06", "2026-09-06T12:00:00Z"), 23);
    assert.equal(hours(santiago, "2026-09-05", "2026-09-05T12:00:00Z"), 24);
  });

  test("New York: 8 March 2026 has 23 hours, 1 November 2026 has 25", () => {
    assert.equal(hours(newYork, "2026-03-08", "2026-03-08T12:00:00Z"), 23);
    assert.equal(hours(newYork, "2026-11-01", "2026-11-01T12:00:00Z"), 25);
  });

  test("the repeated Santiago hour is two segments with different starts and labels", () => {
    const w = resolveWindow(
      {
        granularity: "HOUR",
        timeZone: "America/Santiago",
        from: Date.parse("2026-04-05T01:00:00Z"),
        to: Date.parse("2026-04-05T05:00:00Z"),
      },
      0,
      1500,
    );
    assert.deepEqual(
      w.segments.map((s) => [iso(s.start), s.local]),
      [
        ["2026-04-05T01:00:00.000Z", "2026-04-04T22:00-03:00"],
        ["2026-04-05T02:00:00.000Z", "2026-04-04T23:00-03:00"],
        ["2026-04-05T03:00:00.000Z", "2026-04-04T23:00-04:00"],
        ["2026-04-05T04:00:00.000Z", "2026-04-05T00:00-04:00"],
      ],
    );
  });

  test("Kolkata days start at 18:30 UTC; Kathmandu's at 18:15 UTC", () => {
    const kolkata = resolveWindow(
      { granularity: "DAY", timeZone: "Asia/Kolkata", last: 1 },
      Date.parse("2026-06-10T12:00:00Z"),
      10,
    );
    assert.deepEqual(plain(kolkata.segments), [
      { start: "2026-06-09T18:30:00.000Z", end: "2026-06-10T18:30:00.000Z", local: "2026-06-10" },
    ]);
    const kathmandu = resolveWindow(
      { granularity: "DAY", timeZone: "Asia/Kathmandu", last: 1 },
      Date.parse("2026-06-10T12:00:00Z"),
      10,
    );
    assert.equal(iso(kathmandu.from), "2026-06-09T18:15:00.000Z");
  });

  test("the from/to window is aligned outward to whole segments", () => {
    const w = resolveWindow(
      {
        granularity: "DAY",
        timeZone: "America/Santiago",
        from: Date.parse("2026-04-04T10:00:00Z"),
        to: Date.parse("2026-04-06T04:00:00Z"),
      },
      0,
      1500,
    );
    assert.deepEqual(
      w.segments.map((s) => s.local),
      ["2026-04-04", "2026-04-05"],
    );
    assert.equal(iso(w.from), "2026-04-04T03:00:00.000Z");
    assert.equal(iso(w.to), "2026-04-06T04:00:00.000Z");
  });
});

describe("bad windows", () => {
  const bad = (req: Parameters<typeof resolveWindow>[0], message: RegExp, max = 1500) =>
    assert.throws(
      () => resolveWindow(req, Date.parse("2026-06-10T12:00:00Z"), max),
      (err: unknown) => {
        assert.ok(err instanceof WindowError);
        assert.match(err.message, message);
        return true;
      },
    );
  const from = Date.parse("2026-06-01T00:00:00Z");
  const to = Date.parse("2026-06-02T00:00:00Z");

  test("each bad request says what is wrong", () => {
    bad({ granularity: "DAY", timeZone: "Mars/Olympus", last: 1 }, /IANA time zone/);
    bad({ granularity: "DAY", timeZone: "UTC", last: 1, from, to }, /not both/);
    bad({ granularity: "DAY", timeZone: "UTC" }, /give a window/);
    bad({ granularity: "DAY", timeZone: "UTC", from }, /go together/);
    bad({ granularity: "DAY", timeZone: "UTC", from: to, to: from }, /before to/);
    bad({ granularity: "DAY", timeZone: "UTC", from, to: from }, /before to/);
    bad({ granularity: "DAY", timeZone: "UTC", last: 0 }, /at least 1/);
    bad({ granularity: "DAY", timeZone: "UTC", last: 1501 }, /more than 1500/);
    bad({ granularity: "MINUTE", timeZone: "UTC", from, to }, /more than 1000 minute points/, 1000);
    bad({ granularity: "DAY", timeZone: "UTC", from: Date.parse("1969-01-01T00:00:00Z"), to }, /from must be between/);
  });
});
