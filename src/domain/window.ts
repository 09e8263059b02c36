/**
 * A window as the API asks for it (pure): `from`/`to` or `last: N`, a granularity and a zone →
 * its aligned segments, and the same number of segments just before (for `previous`).
 * A request that is not a window is a WindowError whose message is written for API clients.
 */
import { type Granularity, type Segment, segmentAt, segmentsBefore, segmentsBetween } from "./segments.js";
import { type Zone, zoneOf } from "./zone.js";

export class WindowError extends Error {
  override name = "WindowError";
}

export interface WindowRequest {
  granularity: Granularity;
  timeZone: string;
  from?: number | undefined;
  to?: number | undefined;
  last?: number | undefined;
}

export interface Window {
  zone: Zone;
  granularity: Granularity;
  segments: Segment[];
  /** Aligned bounds: the first segment's start, the last one's end. */
  from: number;
  to: number;
  /** Set for `last: N`: the window slides when a new segment begins. */
  sliding: boolean;
}

/**
 * Instants a window may be asked for: from MIN_INSTANT, and before MAX_INSTANT (exclusive). The
 * counters' keys have four-digit years from 1970; the last month is left out so that a window
 * aligned to its zone's segments (a month ending 14 hours after UTC's) never reaches year 10000.
 */
export const MIN_INSTANT = Date.UTC(1970, 0, 1);
export const MAX_INSTANT = Date.UTC(9999, 11, 1);

export function zoneOrThrow(name: string): Zone {
  const zone = zoneOf(name);
  if (!zone)
    throw new WindowError(
      `timeZone must be an IANA time zone name such as America/Santiago, or UTC; got ${JSON.stringify(name)}`,
    );
  return zone;
}

export function resolveWindow(req: WindowRequest, now: number, maxPoints: number): Window {
  const zone = zoneOrThrow(req.timeZone);
  const g = req.granularity;
  const hasRange = req.from !== undefined || req.to !== undefined;
  if (hasRange && req.last !== undefined) throw new WindowError("give either from and to, or last, not both");
  if (!hasRange && req.last === undefined) throw new WindowError("give a window: from and to, or last");
  let segments: Segment[];
  if (req.last !== undefined) {
    const n = req.last;
    if (!Number.isSafeInteger(n) || n < 1) throw new WindowError(`last must be at least 1, got ${n}`);
    if (n > maxPoints) throw new WindowError(`last: ${n} asks for more than ${maxPoints} points (--max-series-points)`);
    const current = segmentAt(zone, g, now);
    segments = segmentsBefore(zone, g, current.end, n);
  } else {
    const { from, to } = req;
    if (from === undefined || to === undefined) throw new WindowError("from and to go together (or use last)");
    for (const [name, t] of [
      ["from", from],
      ["to", to],
    ] as const) {
      if (!Number.isFinite(t) || t < MIN_INSTANT || t >= MAX_INSTANT) {
        throw new WindowError(
          `${name} must be between 1970-01-01T00:00Z and 9999-11-30T23:59:59.999Z (both included), got ${Math.abs(t) <= 8.64e15 ? new Date(t).toISOString() : String(t)}`,
        );
      }
    }
    if (from >= to) throw new WindowError("from must be before to");
    segments = segmentsBetween(zone, g, from, to, maxPoints);
    if (segments.length > maxPoints) {
      throw new WindowError(
        `the window has more than ${maxPoints} ${g.toLowerCase()} points (--max-series-points); narrow it or use a coarser granularity`,
      );
    }
  }
  const first = segments[0] as Segment;
  const last = segments[segments.length - 1] as Segment;
  return { zone, granularity: g, segments, from: first.start, to: last.end, sliding: req.last !== undefined };
}

/** The same number of segments just before the window. */
export function previousWindow(w: Window): Window {
  const segments = segmentsBefore(w.zone, w.granularity, w.from, w.segments.length);
  const first = segments[0] as Segment;
  return { ...w, segments, from: first.start, to: w.from };
}
