/**
 * What the dashboard shows, as windows of time, and which stored periods answer each (UTC calendar
 * periods, all the API has today). With the time-window API (DESIGN §7) every window here becomes
 * one `series` subscription in the viewer's zone, and `lastHourPoints` goes away.
 */
export const ZONE_LABEL = "UTC";

export interface PeriodVars {
  year: number;
  month?: number;
  day?: number;
  hour?: number;
}

export interface Periods {
  today: PeriodVars;
  month: PeriodVars;
  previousHour: PeriodVars;
  currentHour: PeriodVars;
}

const HOUR = 3_600_000;

function utc(ms: number) {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours() };
}

export function periodsAt(nowMs: number): Periods {
  const now = utc(nowMs);
  const prev = utc(nowMs - HOUR);
  return {
    today: { year: now.year, month: now.month, day: now.day },
    month: { year: now.year, month: now.month },
    previousHour: prev,
    currentHour: now,
  };
}

/** Changes whenever any of the periods does (at the top of every UTC hour). */
export function periodsKey(p: Periods): string {
  return JSON.stringify(p);
}

/** Segment start times (unix seconds, for the charts) of a period's segments. */
export function segmentStarts(p: PeriodVars, count: number): number[] {
  const base = Date.UTC(p.year, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0) / 1000;
  const step = p.hour !== undefined ? 60 : p.day !== undefined ? 3_600 : 86_400;
  return Array.from({ length: count }, (_, i) => base + i * step);
}

/** The last 60 minutes, ending with the current one, stitched from two hours' minute counts. */
export function lastHourPoints(
  nowMs: number,
  previous: ReadonlyMap<number, number>,
  current: ReadonlyMap<number, number>,
): { starts: number[]; counts: number[] } {
  const nowMinute = Math.floor(nowMs / 60_000) * 60_000;
  const thisHour = Math.floor(nowMs / HOUR) * HOUR;
  const starts: number[] = [];
  const counts: number[] = [];
  for (let t = nowMinute - 59 * 60_000; t <= nowMinute; t += 60_000) {
    const minute = new Date(t).getUTCMinutes();
    starts.push(t / 1000);
    counts.push((t >= thisHour ? current : previous).get(minute) ?? 0);
  }
  return { starts, counts };
}
