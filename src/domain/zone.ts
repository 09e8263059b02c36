/**
 * A time zone's UTC offset at any instant (pure), from Node's own tz database through `Intl`.
 *
 * Intl directly rather than a library: luxon and temporal-polyfill read the same Intl data, so they add
 * nothing to exactness, and the one thing this service needs — the offset at an instant — costs
 * ~2-3 µs with a cached `Intl.DateTimeFormat#format` against ~15-25 µs with luxon's
 * `DateTime.fromMillis(t, { zone }).offset` and ~60 µs with temporal-polyfill (one run, same machine).
 */

import { type CacheStats, ENTRY_OVERHEAD_BYTES } from "./sized-cache.js";

const MINUTE = 60_000;

export interface Zone {
  /**
   * The zone's name in its canonical case, whatever case it was asked in: `asia/kolkata`,
   * `ASIA/KOLKATA` and `Asia/Kolkata` are one zone named `Asia/Kolkata`; `Etc/UTC` and `utc` are `UTC`.
   * A link keeps the name it was asked by (ICU resolves Asia/Kolkata to its old name
   * Asia/Calcutta; the answer still says Asia/Kolkata) and shares its zone's offsets.
   */
  readonly name: string;
  /** Local wall time minus UTC, in milliseconds, at instant `t` (epoch ms). */
  offset(t: number): number;
}

/** Zones by canonical name: at most one per zone of the tz database (~600), however many spellings are asked. */
const zones = new Map<string, Zone>();
/**
 * Zones by the lower-case form of a name that resolved to them. Zone names are matched without
 * regard to case (ECMA-402), so every spelling of one name has the same lower-case form: this
 * holds at most one entry per name the tz database knows (zones and their links), however many
 * spellings are asked, and a known name in any case costs a Map lookup, not a new Intl formatter
 * (~300 µs).
 */
const byLowerCase = new Map<string, Zone>();
/**
 * Offsets remembered across every zone: at most this many (about 60 bytes each), then all are
 * forgotten at once and the boundaries being asked are remembered again.
 */
const MAX_OFFSETS = 100_000;
const OFFSET_BYTES = 60;
/** An Intl.DateTimeFormat for one zone: ~47 KB of ICU memory (measured: 418 zones, resident set). */
const ZONE_BYTES = 48 * 1024;
let offsets = 0;
const offsetCaches: Array<Map<number, number>> = [];

/** The zone of an IANA name (or `UTC`), or undefined when Node's tz database does not know it. */
export function zoneOf(name: string): Zone | undefined {
  const known = zones.get(name);
  if (known) return known;
  if (name.length === 0 || name.length > 64) return undefined;
  const lower = name.toLowerCase();
  const spelled = byLowerCase.get(lower);
  if (spelled) return spelled;
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
  const canonical = format.resolvedOptions().timeZone;
  let base = zones.get(canonical);
  if (!base) {
    base = canonical === "UTC" ? utc(canonical) : intlZone(canonical, format);
    zones.set(canonical, base);
  }
  // A link (Asia/Kolkata, which ICU resolves to its old name Asia/Calcutta) keeps the name it was
  // asked by: the answer names the zone the client named. It shares its zone's formatter and
  // offsets; there is one such name per link of the tz database, however it is spelled.
  const zone = lower === canonical.toLowerCase() ? base : { name: linkName(name), offset: base.offset };
  byLowerCase.set(lower, zone);
  return zone;
}

/**
 * The name a link is shown by, in the tz database's usual case whatever case it was asked in
 * (`asia/kolkata`, `ASIA/KOLKATA` → `Asia/Kolkata`; `etc/gmt+5` → `Etc/GMT+5`): every spelling of
 * a name is shown the same way, so a cached answer is right for all of them.
 */
function linkName(asked: string): string {
  return asked
    .toLowerCase()
    .replace(/(^|[/_-])([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase())
    .replace(/\b(Gmt|Utc|Uct)\b/g, (w) => w.toUpperCase());
}

/**
 * What the zone tables hold now (for /metrics): the zones with their names, bounded by the tz
 * database rather than by bytes; and the offsets remembered, bounded by MAX_OFFSETS.
 */
export function zoneCacheStats(): CacheStats[] {
  return [
    {
      name: "zones",
      entries: zones.size,
      bytes: zones.size * ZONE_BYTES + byLowerCase.size * ENTRY_OVERHEAD_BYTES * 2,
      // Every zone and link of the tz database once (links: about as many again as zones).
      maxBytes: Intl.supportedValuesOf("timeZone").length * (ZONE_BYTES + 4 * ENTRY_OVERHEAD_BYTES),
      evictions: 0,
    },
    {
      name: "zone-offsets",
      entries: offsets,
      bytes: offsets * OFFSET_BYTES,
      maxBytes: MAX_OFFSETS * OFFSET_BYTES,
      evictions: 0,
    },
  ];
}

function utc(name: string): Zone {
  return { name, offset: () => 0 };
}

// "1/31/2026, 21:05:09" (en-US, h23). Years before 1000 never occur: the API's years start at 1970.
const PARTS = /^(\d+)\/(\d+)\/(\d+), (\d+):(\d+):(\d+)$/;

function intlZone(name: string, format: Intl.DateTimeFormat): Zone {
  // The same boundaries are asked again and again (every dashboard's "today"): remember them.
  const cache = new Map<number, number>();
  offsetCaches.push(cache);
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
      if (offsets >= MAX_OFFSETS) {
        for (const c of offsetCaches) c.clear();
        offsets = 0;
      }
      cache.set(t, off);
      offsets++;
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
