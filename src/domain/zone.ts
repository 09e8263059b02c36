/**
 * A time zone's UTC offset at any instant (pure), from Node's own tz database through `Intl`.
 *
 * Intl directly rather than a library: luxon and temporal-polyfill read the same Intl data, so they add
 * nothing to exactness, and the one thing this service needs — the offset at an instant — costs
 * ~2-3 µs with a cached `Intl.DateTimeFormat#format` against ~15-25 µs with luxon's
 * `DateTime.fromMillis(t, { zone }).offset` and ~60 µs with temporal-polyfill (one run, same machine).
 */

const MINUTE = 60_000;

export interface Zone {
  /** The canonical name as asked (`UTC` or an IANA name). */
  readonly name: string;
  /** Local wall time minus UTC, in milliseconds, at instant `t` (epoch ms). */
  offset(t: number): number;
}

const zones = new Map<string, Zone>();

/** The zone of an IANA name (or `UTC`), or undefined when Node's tz database does not know it. */
export function zoneOf(name: string): Zone | undefined {
  const known = zones.get(name);
  if (known) return known;
  if (name.length === 0 || name.length > 64) return undefined;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch {
    return undefined;
  }
  const zone = name === "UTC" || name === "Etc/UTC" ? utc(name) : intlZone(name, format);
  zones.set(name, zone);
  return zone;
}

function utc(name: string): Zone {
  return { name, offset: () => 0 };
}

// "1/31/2026, 21:05:09" (en-US, h23). Years before 1000 never occur: the API's years start at 1970.
const PARTS = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/;

function intlZone(name: string, format: Intl.DateTimeFormat): Zone {
  // The same boundaries are asked again and again (every dashboard's "today"): remember them.
  const cache = new Map<number, number>();
  return {
    name,
    offset(t) {
      const cached = cache.get(t);
      if (cached !== undefined) return cached;
      const m = PARTS.exec(format.format(t));
      if (!m) throw new Error(`unexpected Intl output for ${name}`);
      const [, mo, d, y, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
      const second = Math.floor(t / 1000) * 1000;
      const off = Date.UTC(y, mo - 1, d, h, mi, s) - second;
      if (cache.size >= 50_000) cache.clear();
      cache.set(t, off);
      return off;
    },
  };
}

/** `+05:30`, `-03:00`, `+00:00` (seconds only when the offset has them). */
export function formatOffset(off: number): string {
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  const h = Math.floor(abs / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / MINUTE);
  const s = Math.floor((abs % MINUTE) / 1000);
  const hm = `${sign}${pad(h)}:${pad(m)}`;
  return s === 0 ? hm : `${hm}:${pad(s)}`;
}

export function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}
