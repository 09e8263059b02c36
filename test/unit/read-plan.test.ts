import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { funnelCounts, type HashRef, PlanError, planReads, planTop, trackCounts } from "../../src/domain/read-plan.js";
import type { Granularity } from "../../src/domain/segments.js";
import type { TopPeriod } from "../../src/domain/types.js";
import { resolveWindow } from "../../src/domain/window.js";
import { TRANSITIONS, ZONES } from "../helpers/time-reference.js";

const DAY = 86_400_000;
const FOREVER = 100 * 365 * DAY;

interface Event {
  at: number;
  count: number;
  status: string;
}

/** The stored hashes, built the way the layout of docs/contract.md §3 says (independently of src/store). */
function store(events: readonly Event[], kind: "track" | "funnels") {
  const hashes = new Map<string, Map<string, number>>();
  const incr = (key: string, field: string, n: number) => {
    const h = hashes.get(key) ?? new Map<string, number>();
    h.set(field, (h.get(field) ?? 0) + n);
    hashes.set(key, h);
  };
  for (const e of events) {
    const d = new Date(e.at);
    const [y, mo, da, h, mi] = [
      d.getUTCFullYear(),
      d.getUTCMonth() + 1,
      d.getUTCDate(),
      d.getUTCHours(),
      d.getUTCMinutes(),
    ];
    if (kind === "track") {
      incr(`${y}:::`, String(mo), e.count);
      incr(`${y}:${mo}::`, String(da), e.count);
      incr(`${y}:${mo}:${da}:`, String(h), e.count);
      incr(`${y}:${mo}:${da}:${h}`, String(mi), e.count);
    } else {
      for (const key of [`${y}:::`, `${y}:${mo}::`, `${y}:${mo}:${da}:`, `${y}:${mo}:${da}:${h}`])
        incr(key, e.status, e.count);
    }
  }
  return (refs: readonly HashRef[]) =>
    refs.map((r) => hashes.get(`${r.year}:${r.month ?? ""}:${r.day ?? ""}:${r.hour ?? ""}`) ?? new Map());
}

const SIZES: Record<Granularity, number> = { MINUTE: 200, HOUR: 100, DAY: 40, MONTH: 14 };

const windowArb = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    g: fc.constantFrom<Granularity>("MINUTE", "HOUR", "DAY", "MONTH"),
    now: fc.oneof(
      fc.tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -40 * DAY, max: 40 * DAY })).map(([t, d]) => t + d),
      fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2037, 0, 1) }),
    ),
    size: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ zone, g, now, size }) => {
    const w = resolveWindow({ granularity: g, timeZone: zone, last: 1 + Math.floor(size * SIZES[g]) }, now, 1500);
    return { zone, g, w };
  });

const eventsIn = (from: number, to: number) =>
  fc.array(
    fc.record({
      at: fc.integer({ min: from - 2 * DAY, max: to + 2 * DAY }),
      count: fc.integer({ min: 1, max: 5 }),
      status: fc.constantFrom("paid", "shipped", "unknown"),
    }),
    { maxLength: 300 },
  );

describe("read plan against a brute-force sum", () => {
  test("time series: every segment equals the events inside it; reads grow with boundaries that cut a UTC day", () => {
    fc.assert(
      fc.property(
        windowArb.chain((x) => eventsIn(x.w.from, x.w.to).map((events) => ({ ...x, events }))),
        ({ zone, g, w, events }) => {
          const plan = planReads(w.segments, { kind: "track", now: w.to, minuteRetention: FOREVER, describe: "x" });
          const counts = trackCounts(plan, store(events, "track")(plan.reads));
          const expected = w.segments.map((s) =>
            events.filter((e) => s.start <= e.at && e.at < s.end).reduce((n, e) => n + e.count, 0),
          );
          assert.deepEqual(counts, expected, `${zone} ${g}`);
          const bounds = [w.segments[0]?.start ?? 0, ...w.segments.map((s) => s.end)];
          const cuts = bounds.filter((b) => b % DAY !== 0).length;
          // Plus the month and year hashes that whole UTC days and months come from.
          const a = new Date(w.from);
          const b = new Date(w.to);
          const years = b.getUTCFullYear() - a.getUTCFullYear() + 1;
          const months = years * 12 + b.getUTCMonth() - a.getUTCMonth() - 11;
          const bound = 2 * (cuts + 1) + months + years;
          assert.ok(plan.reads.length <= bound, `${plan.reads.length} reads > ${bound} (${cuts} cuts)`);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("funnels: every segment's statuses equal the events inside it", () => {
    fc.assert(
      fc.property(
        windowArb
          .filter(
            (x) =>
              x.g !== "MINUTE" && ["UTC", "America/Santiago", "America/New_York", "Europe/London"].includes(x.zone),
          )
          .chain((x) => eventsIn(x.w.from, x.w.to).map((events) => ({ ...x, events }))),
        ({ zone, g, w, events }) => {
          const plan = planReads(w.segments, { kind: "funnels", now: w.to, minuteRetention: FOREVER, describe: "x" });
          const counts = funnelCounts(plan, store(events, "funnels")(plan.reads));
          const expected = w.segments.map((s) => {
            const m = new Map<string, number>();
            for (const e of events)
              if (s.start <= e.at && e.at < s.end) m.set(e.status, (m.get(e.status) ?? 0) + e.count);
            return m;
          });
          assert.deepEqual(counts, expected, `${zone} ${g}`);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("read counts of the benchmark's windows", () => {
  const now = Date.parse("2026-06-10T12:00:00Z");
  const reads = (g: Granularity, zone: string, last: number, kind: "track" | "funnels" = "track") => {
    const w = resolveWindow({ granularity: g, timeZone: zone, last }, now, 1500);
    return planReads(w.segments, { kind, now, minuteRetention: 30 * DAY, describe: "x" }).reads.length;
  };
  test("31 Santiago days: one day hash per boundary; 12 Santiago months: 25 hashes; UTC: 1-2 hashes", () => {
    assert.equal(reads("DAY", "America/Santiago", 31), 32);
    assert.equal(reads("MONTH", "America/Santiago", 12), 25);
    assert.equal(reads("MONTH", "UTC", 12), 2);
    assert.equal(reads("DAY", "UTC", 31), 2);
    // Kolkata days begin at 18:30 UTC: each of the 20 days' 21 boundaries cuts a UTC day (its hour
    // hash) and a UTC hour (its minute hash); the whole UTC hours and days between come from those.
    const days = 20;
    assert.equal(reads("DAY", "Asia/Kolkata", days), 2 * (days + 1));
  });
});

describe("what the stored data cannot answer", () => {
  const now = Date.parse("2026-06-10T12:00:00Z");
  const plan = (zone: string, g: Granularity, from: string, to: string, kind: "track" | "funnels" = "track") => {
    const w = resolveWindow({ granularity: g, timeZone: zone, from: Date.parse(from), to: Date.parse(to) }, now, 1500);
    return planReads(w.segments, { kind, now, minuteRetention: 30 * DAY, describe: `${zone} ${g} boundaries` });
  };

  test("minute data older than the retention is BAD input, saying why", () => {
    assert.throws(
      () => plan("Asia/Kolkata", "DAY", "2026-04-01T00:00:00Z", "2026-04-03T00:00:00Z"),
      (err: unknown) => err instanceof PlanError && /kept 30 days \(--minute-retention\)/.test(err.message),
    );
    // Inside the retention: the minute counts are read, the oldest of them still kept.
    const recent = plan("Asia/Kolkata", "DAY", "2026-05-20T00:00:00Z", "2026-05-23T00:00:00Z");
    const minuteReads = recent.reads.filter((r) => r.hour !== undefined);
    assert.ok(minuteReads.length > 0, "a Kolkata day boundary cuts a UTC hour: its minutes are read");
    assert.ok((recent.oldestMinuteHour ?? 0) > now - 30 * DAY, "and they are within the retention");
    // Whole-hour zones never need minutes, however old the window: no minute hash is read at all.
    const old = plan("America/Santiago", "DAY", "2013-04-01T00:00:00Z", "2013-05-01T00:00:00Z");
    assert.deepEqual(
      old.reads.filter((r) => r.hour !== undefined),
      [],
    );
    assert.equal(old.oldestMinuteHour, undefined);
    assert.ok(old.reads.length > 0, "the window is read, from day hashes");
  });

  test("funnels cannot be cut inside a UTC hour", () => {
    assert.throws(
      () => plan("Asia/Kolkata", "DAY", "2026-06-01T00:00:00Z", "2026-06-03T00:00:00Z", "funnels"),
      (err: unknown) => err instanceof PlanError && /per UTC hour/.test(err.message),
    );
  });
});

describe("top plan (docs/contract.md §9)", () => {
  /** The UTC interval a ranking set stands for. */
  const span = (p: TopPeriod) => {
    const start = Date.UTC(p.year, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0);
    const end =
      p.month === undefined
        ? Date.UTC(p.year + 1, 0, 1)
        : p.day === undefined
          ? Date.UTC(p.year, p.month, 1)
          : p.hour === undefined
            ? start + DAY
            : p.minute === undefined
              ? start + 3_600_000
              : start + 60_000;
    return { start, end };
  };
  const opts = { now: Date.UTC(2027, 0, 1), minuteRetention: FOREVER, describe: "test" };

  test("the weighted sets cover every minute of the window once, and nothing outside it", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 * 365 * 1440 }),
        fc.integer({ min: 1, max: 400 * 1440 }),
        (startMinute, minutes) => {
          const from = Date.UTC(2025, 0, 1) + startMinute * 60_000;
          const to = from + minutes * 60_000;
          const plan = planTop(from, to, opts);
          const spans = plan.sets.map((s) => ({ ...span(s.period), w: s.weight }));
          const cover = (t: number) => spans.reduce((n, s) => n + (s.start <= t && t < s.end ? s.w : 0), 0);
          for (const t of [from, to - 60_000, from - 60_000, to, Math.floor((from + to) / 120_000) * 60_000]) {
            assert.equal(cover(t), from <= t && t < to ? 1 : 0, new Date(t).toISOString());
          }
          // Every boundary of the sets: coverage is constant between them.
          for (const s of spans)
            for (const t of [s.start, s.end - 60_000]) {
              assert.equal(cover(t), from <= t && t < to ? 1 : 0, new Date(t).toISOString());
            }
        },
      ),
      { numRuns: 300 },
    );
  });

  test("reads grow with boundaries: eleven months are a few dozen sets, two minutes are two", () => {
    const eleven = planTop(Date.UTC(2025, 5, 15), Date.UTC(2026, 4, 15), opts);
    assert.ok(eleven.sets.length <= 40, `${eleven.sets.length} sets`);
    assert.ok(eleven.total.reads.length <= 4, `${eleven.total.reads.length} hashes for the total`);
    const months = planTop(Date.UTC(2025, 5, 1), Date.UTC(2026, 4, 1), opts);
    assert.equal(months.sets.length, 1 + 5 + 4, "2025 minus its first five months, and four months of 2026");
    assert.deepEqual(planTop(Date.UTC(2026, 11, 7, 18, 34), Date.UTC(2026, 11, 7, 18, 36), opts).sets, [
      { period: { year: 2026, month: 12, day: 7, hour: 18, minute: 34 }, weight: 1 },
      { period: { year: 2026, month: 12, day: 7, hour: 18, minute: 35 }, weight: 1 },
    ]);
  });

  test("minute sets beyond the retention are a PlanError, as for series", () => {
    assert.throws(
      () => planTop(Date.UTC(2026, 0, 1, 0, 30), Date.UTC(2026, 0, 2, 0, 30), { ...opts, minuteRetention: DAY }),
      PlanError,
    );
  });
});
