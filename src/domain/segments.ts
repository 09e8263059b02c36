/**
 * Segments of a time window in a zone (pure): which instants make up "the hour of 23:00 on 4 April
 * in Santiago" or "the last 7 days in Kolkata", DST-correct.
 *
 * A segment is a maximal run of instants that share one local label: the month (`2026-04`), the day
 * (`2026-04-05`), the hour with its offset (`2026-04-04T23:00-03:00`) or the minute with its offset.
 * Because the offset is part of an hour's label, the hour repeated on a fall-back day is two segments
 * with different starts; a day is whatever lies between two local midnights (23, 24 or 25 hours).
 *
 * The walk computes a candidate boundary from the wall clock under the current offset, then looks for
 * an offset change before it (sampling every 7 days and bisecting to the millisecond). It assumes a
 * zone never changes its offset twice within 7 days, which holds for every zone since 1970.
 */
import { formatOffset, pad, type Zone } from "./zone.js";

export type Granularity = "MONTH" | "DAY" | "HOUR" | "MINUTE";

export interface Segment {
  /** First instant (epoch ms). */
  start: number;
  /** First instant of the next segment (epoch ms). */
  end: number;
  /** The segment in the zone's wall time: `2026-04`, `2026-04-05`, `2026-04-04T23:00-03:00`. */
  local: string;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const WEEK = 7 * 86_400_000;

/** Start of the wall-clock unit containing `wall` (wall time expressed as if it were UTC ms). */
function truncWall(g: Granularity, wall: number): number {
  switch (g) {
    case "MINUTE":
      return Math.floor(wall / MINUTE) * MINUTE;
    case "HOUR":
      return Math.floor(wall / HOUR) * HOUR;
    case "DAY": {
      const d = new Date(wall);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    }
    case "MONTH": {
      const d = new Date(wall);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
  }
}

/** Start of the wall-clock unit after the one starting at `unit`. */
function nextWall(g: Granularity, unit: number): number {
  switch (g) {
    case "MINUTE":
      return unit + MINUTE;
    case "HOUR":
      return unit + HOUR;
    case "DAY": {
      const d = new Date(unit);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
    }
    case "MONTH": {
      const d = new Date(unit);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
  }
}

/** The local label of the segment containing instant `t`. */
export function labelAt(zone: Zone, g: Granularity, t: number): string {
  const off = zone.offset(t);
  const d = new Date(t + off);
  const ym = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}`;
  if (g === "MONTH") return ym;
  const ymd = `${ym}-${pad(d.getUTCDate())}`;
  if (g === "DAY") return ymd;
  const minute = g === "HOUR" ? "00" : pad(d.getUTCMinutes());
  return `${ymd}T${pad(d.getUTCHours())}:${minute}${formatOffset(off)}`;
}

/** The first instant in (from, to] whose offset differs from the offset at `from`, if any. */
function firstChange(zone: Zone, from: number, to: number): number | undefined {
  const o = zone.offset(from);
  let lo = from;
  let hi = from;
  for (;;) {
    if (hi >= to) return undefined;
    hi = Math.min(hi + WEEK, to);
    if (zone.offset(hi) !== o) break;
    lo = hi;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zone.offset(mid) === o) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The latest instant T in (from, to] such that the offset is constant on [T, to] and differs at T-1, if any. */
function lastChange(zone: Zone, from: number, to: number): number | undefined {
  const o = zone.offset(to);
  let hi = to;
  let lo = to;
  for (;;) {
    if (lo <= from) return undefined;
    lo = Math.max(lo - WEEK, from);
    if (zone.offset(lo) !== o) break;
    hi = lo;
  }
  // offset(lo) != o, offset(hi) == o
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zone.offset(mid) === o) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The first instant of the segment that contains `t`. */
export function segmentStart(zone: Zone, g: Granularity, t: number): number {
  const label = labelAt(zone, g, t);
  let x = t;
  for (;;) {
    const o = zone.offset(x);
    const candidate = truncWall(g, x + o) - o;
    const change = lastChange(zone, candidate, x);
    if (change !== undefined) {
      if (labelAt(zone, g, change - 1) !== label) return change;
      x = change - 1;
      continue;
    }
    if (labelAt(zone, g, candidate - 1) !== label) return candidate;
    x = candidate - 1;
  }
}

/** The first instant after `t` that is in another segment: the end of `t`'s segment. */
export function segmentEnd(zone: Zone, g: Granularity, t: number): number {
  const label = labelAt(zone, g, t);
  let x = t;
  for (;;) {
    const o = zone.offset(x);
    const candidate = nextWall(g, truncWall(g, x + o)) - o;
    const change = firstChange(zone, x, candidate - 1);
    const next = change ?? candidate;
    if (labelAt(zone, g, next) !== label) return next;
    x = next;
  }
}

/** The segment containing `t`. */
export function segmentAt(zone: Zone, g: Granularity, t: number): Segment {
  return { start: segmentStart(zone, g, t), end: segmentEnd(zone, g, t), local: labelAt(zone, g, t) };
}

/** Segments from the one containing `from` up to the one that ends at or after `to`, at most `max` (+1 to detect more). */
export function segmentsBetween(zone: Zone, g: Granularity, from: number, to: number, max: number): Segment[] {
  const out: Segment[] = [];
  let t = segmentStart(zone, g, from);
  while (t < to && out.length <= max) {
    const end = segmentEnd(zone, g, t);
    out.push({ start: t, end, local: labelAt(zone, g, t) });
    t = end;
  }
  return out;
}

/** The `n` segments that end where `end` is (a segment boundary), oldest first. */
export function segmentsBefore(zone: Zone, g: Granularity, end: number, n: number): Segment[] {
  const out: Segment[] = [];
  let e = end;
  for (let i = 0; i < n; i++) {
    const start = segmentStart(zone, g, e - 1);
    out.push({ start, end: e, local: labelAt(zone, g, start) });
    e = start;
  }
  return out.reverse();
}
