/**
 * What the dashboard shows, as windows of time in the viewer's own zone: each is one `series`
 * (or `funnelSeries`) subscription with that `timeZone`. The last 60 minutes are `last: 60` and
 * slide on the server; today and this month are from/to windows between local midnights, computed
 * here with the server's own time arithmetic (src/domain: zone offsets from the browser's Intl,
 * DST-correct day and month boundaries), and change when the local date does.
 */
import { segmentEnd, segmentStart } from "../../src/domain/segments.js";
import { type Zone, zoneOf } from "../../src/domain/zone.js";

/** The viewer's IANA zone (what the browser resolves), or UTC when it resolves none. */
export function viewerZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export interface Window {
  from: string;
  to: string;
}

export interface Windows {
  zone: string;
  /** local midnight today to local midnight tomorrow */
  today: Window;
  /** local midnight on the 1st to local midnight on the 1st of next month */
  month: Window;
  /**
   * This month for the funnel: in the viewer's zone, or the UTC month when the zone's month does not
   * begin and end on whole UTC hours (funnels are kept per UTC hour, so `funnelSeries` cannot cut there).
   */
  funnel: Window & { timeZone: string };
}

const iso = (ms: number) => new Date(ms).toISOString();

export function windowsAt(nowMs: number, zone: string): Windows {
  const z: Zone = zoneOf(zone) ?? (zoneOf("UTC") as Zone);
  const monthStart = segmentStart(z, "MONTH", nowMs);
  const monthEnd = segmentEnd(z, "MONTH", nowMs);
  const wholeHours = monthStart % 3_600_000 === 0 && monthEnd % 3_600_000 === 0;
  const utc = new Date(nowMs);
  const funnel = wholeHours
    ? { from: iso(monthStart), to: iso(monthEnd), timeZone: zone }
    : {
        from: iso(Date.UTC(utc.getUTCFullYear(), utc.getUTCMonth(), 1)),
        to: iso(Date.UTC(utc.getUTCFullYear(), utc.getUTCMonth() + 1, 1)),
        timeZone: "UTC",
      };
  return {
    zone,
    today: { from: iso(segmentStart(z, "DAY", nowMs)), to: iso(segmentEnd(z, "DAY", nowMs)) },
    month: { from: iso(monthStart), to: iso(monthEnd) },
    funnel,
  };
}

/** Changes whenever any window does (at local midnight). */
export function windowsKey(w: Windows): string {
  return JSON.stringify(w);
}

/** A point's `start` (an ISO instant) as unix seconds, for the charts. */
export function toSeconds(start: string): number {
  return Date.parse(start) / 1000;
}
