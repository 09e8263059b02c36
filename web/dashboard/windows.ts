/**
 * What the dashboard shows, as windows of time in the viewer's own zone: each is one `series`
 * (or `funnelSeries`) subscription with that `timeZone`. The last 60 minutes are `last: 60` and
 * slide on the server; today and this month are from/to windows between local midnights, computed
 * here, and change when the local date does.
 */

/** The viewer's IANA zone (what the browser resolves), or UTC when it resolves none. */
export function viewerZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

interface Wall {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
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
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's wall-clock time at an instant, as if it were UTC (ms). */
function wallMs(ms: number, zone: string): number {
  const p = Object.fromEntries(
    formatter(zone)
      .formatToParts(new Date(ms))
      .map((x) => [x.type, Number(x.value)]),
  );
  return Date.UTC(
    p["year"] ?? 0,
    (p["month"] ?? 1) - 1,
    p["day"] ?? 1,
    p["hour"] ?? 0,
    p["minute"] ?? 0,
    p["second"] ?? 0,
  );
}

/** The zone's calendar date at an instant. */
export function localDate(ms: number, zone: string): Wall {
  const d = new Date(wallMs(ms, zone));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const sameDate = (a: Wall, b: Wall) => a.year === b.year && a.month === b.month && a.day === b.day;

/**
 * The first instant (ms) of a local date in a zone: its midnight, or the first instant after a
 * DST gap when midnight does not exist there. Month and day may overflow (day 32 = next month).
 */
export function startOfLocalDay(year: number, month: number, day: number, zone: string): number {
  const base = Date.UTC(year, month - 1, day);
  const want = localDate(base, "UTC");
  // Try the offsets in force around that date; the earliest candidate on the wanted date wins.
  const candidates = [-36, -12, 0, 12, 36]
    .map((h) => base - (wallMs(base + h * 3_600_000, zone) - (base + h * 3_600_000)))
    .filter((t) => sameDate(localDate(t, zone), want))
    .sort((a, b) => a - b);
  const t = candidates[0] ?? base;
  // Midnight inside a DST gap: the candidate lands after the gap; step back to where the date begins.
  let start = t;
  for (let step = 30 * 60_000; step >= 60_000; step /= 2) {
    while (sameDate(localDate(start - step, zone), want)) start -= step;
  }
  return start;
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
  const { year, month, day } = localDate(nowMs, zone);
  const monthStart = startOfLocalDay(year, month, 1, zone);
  const monthEnd = startOfLocalDay(year, month + 1, 1, zone);
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
    today: { from: iso(startOfLocalDay(year, month, day, zone)), to: iso(startOfLocalDay(year, month, day + 1, zone)) },
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
