/**
 * A brute-force reference for time windows: label every minute with an Intl formatter of its own
 * (independent of src/domain/zone.ts), group consecutive minutes with equal labels into segments.
 * Slow on purpose; only for tests.
 */
import type { Granularity } from "../../src/domain/segments.js";

export const ZONES = [
  "UTC",
  "America/Santiago",
  "America/New_York",
  "Europe/London",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Australia/Lord_Howe",
] as const;

/** Offset changes near which the properties look hardest (and a few quiet instants). */
export const TRANSITIONS = [
  "2026-04-05T03:00:00Z", // Santiago -03 -> -04 (24:00 back to 23:00)
  "2026-09-06T04:00:00Z", // Santiago -04 -> -03 (24:00 forward to 01:00)
  "2026-03-08T07:00:00Z", // New York
  "2026-11-01T06:00:00Z",
  "2026-03-29T01:00:00Z", // London
  "2026-10-25T01:00:00Z",
  "2026-04-04T15:00:00Z", // Lord Howe +11 -> +10:30
  "2026-10-03T15:30:00Z", // Lord Howe +10:30 -> +11
  "1985-12-31T18:30:00Z", // Kathmandu +05:30 -> +05:45
  "2024-02-29T12:00:00Z", // a leap day
  "2026-12-31T23:30:00Z", // a year end
].map((s) => Date.parse(s));

const formats = new Map<string, Intl.DateTimeFormat>();
const RE = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):\d+ GMT(?:([+-])(\d+)(?::(\d+))?)?$/;

export function referenceLabel(zone: string, g: Granularity, t: number): string {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      timeZoneName: "longOffset",
    });
    formats.set(zone, f);
  }
  const text = f.format(t);
  const m = RE.exec(text);
  if (!m) throw new Error(`reference cannot parse ${text}`);
  const [, mo, d, y, h, mi, sign, oh, om] = m;
  const p = (s: string | undefined) => (s ?? "0").padStart(2, "0");
  const ym = `${(y ?? "").padStart(4, "0")}-${p(mo)}`;
  if (g === "MONTH") return ym;
  const ymd = `${ym}-${p(d)}`;
  if (g === "DAY") return ymd;
  const offset = sign ? `${sign}${p(oh)}:${p(om)}` : "+00:00";
  return `${ymd}T${p(h)}:${g === "HOUR" ? "00" : p(mi)}${offset}`;
}

export interface RefSegment {
  start: number;
  end: number;
  local: string;
}

const MINUTE = 60_000;

/** Runs of equal labels over every minute of [from, to) (both whole minutes). The first and last runs may be cut. */
export function referenceRuns(zone: string, g: Granularity, from: number, to: number): RefSegment[] {
  const runs: RefSegment[] = [];
  let current: RefSegment | undefined;
  for (let t = from; t < to; t += MINUTE) {
    const local = referenceLabel(zone, g, t);
    if (current && current.local === local) {
      current.end = t + MINUTE;
      continue;
    }
    current = { start: t, end: t + MINUTE, local };
    runs.push(current);
  }
  return runs;
}

/** The longest a segment can be, with margin: used to size the reference's scan. */
export const MAX_SEGMENT: Record<Granularity, number> = {
  MINUTE: MINUTE,
  HOUR: 2 * 3_600_000,
  DAY: 27 * 3_600_000,
  MONTH: 33 * 86_400_000,
};

/** The reference answer for `last: n` at `now`: the n runs ending with the one containing now. */
export function referenceLast(zone: string, g: Granularity, now: number, n: number): RefSegment[] {
  const nowMinute = Math.floor(now / MINUTE) * MINUTE;
  const from = nowMinute - (n + 1) * MAX_SEGMENT[g];
  const runs = referenceRuns(zone, g, from, nowMinute + 2 * MAX_SEGMENT[g]);
  const i = runs.findIndex((r) => r.start <= nowMinute && nowMinute < r.end);
  return runs.slice(i - n + 1, i + 1);
}

/** The reference answer for [from, to): the runs that contain any of its minutes. */
export function referenceRange(zone: string, g: Granularity, from: number, to: number): RefSegment[] {
  const a = Math.floor(from / MINUTE) * MINUTE;
  const b = Math.ceil(to / MINUTE) * MINUTE;
  const runs = referenceRuns(zone, g, a - 2 * MAX_SEGMENT[g], b + 2 * MAX_SEGMENT[g]);
  return runs.filter((r) => r.end > a && r.start < b);
}
