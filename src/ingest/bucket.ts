/** Period bucketing (pure): a point in time → its UTC year, month, day, hour and minute. */
import { daysInMonth } from "../domain/period.js";

export interface Bucket {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

export function bucketOf(ms: number): Bucket {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
  };
}

const RUBY_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? ([+-])(\d{2}):?(\d{2})$/;
const ISO_LIKE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const NUMERIC = /^\d+(?:\.\d+)?$/;
/** Unix times below this are seconds, at or above it milliseconds (1e11 s is the year 5138). */
const MS_THRESHOLD = 1e11;
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Years an event's own time may fall in (`--event-years`); inclusive. */
export interface YearRange {
  min: number;
  max: number;
}

export type EventTime = { ok: true; ms: number } | { ok: false; reason: "missing" | "unparseable" | "out_of_range" };

/**
 * The rule for `--time-source event`. A number (or numeric string) is unix milliseconds from 1e11
 * up and unix seconds below (1e11 ms is 1973-03-03, 1e11 s the year 5138: no real time is
 * ambiguous once the year range below is applied). The result must fall within `years`: a
 * millisecond time before 1973 read as seconds, or `"20260131"` read as seconds (1970-08-23),
 * lands outside it and is refused rather than bucketed into the wrong century. Every refusal says
 * why, so the caller can count its fallback to receive time.
 */
export function readEventTime(value: unknown, years: YearRange): EventTime {
  if (value === undefined || value === null || value === "") return { ok: false, reason: "missing" };
  const ms = parseEventTime(value);
  if (ms === undefined) return { ok: false, reason: "unparseable" };
  const year = new Date(ms).getUTCFullYear();
  if (year < years.min || year > years.max) return { ok: false, reason: "out_of_range" };
  return { ok: true, ms };
}

/**
 * Parses an event's `time` field: ISO 8601, unix seconds or milliseconds (number or numeric
 * string), or Ruby's `2013-09-05 10:00:00 +0100`. Returns epoch ms, or undefined when it does not parse.
 * No year range here: see readEventTime.
 */
export function parseEventTime(value: unknown): number | undefined {
  if (typeof value === "number") return fromUnix(value);
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (NUMERIC.test(text)) return fromUnix(Number(text));
  const ruby = RUBY_TIME.exec(text);
  if (ruby) {
    const [, y, mo, d, h, mi, s, frac, sign, oh, om] = ruby;
    if (!realDate(text)) return undefined;
    const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac}` : ""}${sign}${oh}:${om}`;
    return valid(Date.parse(iso));
  }
  if (!ISO_LIKE.test(text) || !realDate(text)) return undefined;
  // A date-only or offset-less ISO string is UTC here, as the whole service is.
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) && text.length > 10;
  const normalised = text.replace(" ", "T").replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  return valid(Date.parse(hasZone || text.length === 10 ? normalised : `${normalised}Z`));
}

/** Date.parse rolls 2013-02-30 over to March; a date that does not exist does not parse. */
function realDate(text: string): boolean {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function fromUnix(n: number): number | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  return valid(n < MS_THRESHOLD ? n * 1000 : n);
}

function valid(ms: number): number | undefined {
  // Keys hold four-digit years: 1970-01-01 to 9999-12-31 is the range that buckets.
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_MS ? Math.floor(ms) : undefined;
}
