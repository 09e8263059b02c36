/**
 * The dashboard's ranges as §7 windows in the viewer's zone (docs/contract.md §10): what the total, the chart,
 * the funnel and the top list each ask the API for. `today` and `month` are one segment (`last: 1`
 * DAY or MONTH) drawn by a finer unit, whose window runs between the zone's own midnights, computed
 * here with the server's own time arithmetic (src/domain), so a DST day has its 23 or 25 hours.
 * Pure: `now` and the zone are arguments.
 */
import { type Granularity, segmentEnd, segmentStart, segmentsBefore } from "../../src/domain/segments.js";
import { type Zone, zoneOf } from "../../src/domain/zone.js";
import type { Range } from "./state.js";

export interface WindowArgs {
  granularity: Granularity;
  last?: number;
  from?: string;
  to?: string;
}

export interface RangePlan {
  /** The range itself; its `previous` is what the total is compared with. The top list asks for it too. */
  total: WindowArgs;
  /** The range at its natural granularity. */
  chart: WindowArgs;
  /** Funnels are kept per UTC hour: a zone whose boundaries cut UTC hours gets the range in UTC. */
  funnel: WindowArgs & { timeZone: string };
  /** "Today", "Last 7 days" … */
  title: string;
  /** What the previous range is, in words: "all of yesterday", "the 7 days before" … */
  previousName: string;
  /** A chart segment's unit in words, singular: "minute", "hour", "day", "month". */
  unit: string;
}

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** One segment of `g` (the one containing now) as a from/to window. */
function current(z: Zone, g: Granularity, now: number): { from: string; to: string } {
  return { from: iso(segmentStart(z, g, now)), to: iso(segmentEnd(z, g, now)) };
}

/** True when every boundary of the last `n` segments of `g` falls on a whole UTC hour. */
function onWholeHours(z: Zone, g: Granularity, n: number, now: number): boolean {
  const segments = segmentsBefore(z, g, segmentEnd(z, g, now), n);
  return segments.every((s) => s.start % HOUR === 0 && s.end % HOUR === 0);
}

export function planRange(range: Range, zoneName: string, now: number): RangePlan {
  const z = zoneOf(zoneName) ?? (zoneOf("UTC") as Zone);
  const last = (granularity: Granularity, n: number): WindowArgs => ({ granularity, last: n });
  const plans: Record<Range, Omit<RangePlan, "funnel"> & { funnel: WindowArgs }> = {
    "60m": {
      total: last("MINUTE", 60),
      chart: last("MINUTE", 60),
      // Funnels have no minutes: the hour so far is the nearest they can say.
      funnel: last("HOUR", 1),
      title: "Last 60 minutes",
      previousName: "the 60 minutes before",
      unit: "minute",
    },
    "24h": {
      total: last("HOUR", 24),
      chart: last("HOUR", 24),
      funnel: last("HOUR", 24),
      title: "Last 24 hours",
      previousName: "the 24 hours before",
      unit: "hour",
    },
    today: {
      total: last("DAY", 1),
      chart: { granularity: "HOUR", ...current(z, "DAY", now) },
      funnel: last("DAY", 1),
      title: "Today",
      // Today is partial, yesterday is whole: the comparison says so.
      previousName: "all of yesterday",
      unit: "hour",
    },
    "7d": {
      total: last("DAY", 7),
      chart: last("DAY", 7),
      funnel: last("DAY", 7),
      title: "Last 7 days",
      previousName: "the 7 days before",
      unit: "day",
    },
    "30d": {
      total: last("DAY", 30),
      chart: last("DAY", 30),
      funnel: last("DAY", 30),
      title: "Last 30 days",
      previousName: "the 30 days before",
      unit: "day",
    },
    month: {
      total: last("MONTH", 1),
      chart: { granularity: "DAY", ...current(z, "MONTH", now) },
      funnel: last("MONTH", 1),
      title: "This month",
      previousName: "all of last month",
      unit: "day",
    },
    "12m": {
      total: last("MONTH", 12),
      chart: last("MONTH", 12),
      funnel: last("MONTH", 12),
      title: "Last 12 months",
      previousName: "the 12 months before",
      unit: "month",
    },
  };
  const plan = plans[range];
  const f = plan.funnel;
  const funnelZone = onWholeHours(z, f.granularity, f.last ?? 1, now) ? z.name : "UTC";
  return { ...plan, funnel: { ...f, timeZone: funnelZone } };
}

/** Changes when a from/to window in the plan does (at the zone's midnight, or the first of the month). */
export function planKey(p: RangePlan): string {
  return JSON.stringify([p.chart, p.funnel]);
}
