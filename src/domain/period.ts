/**
 * Period arithmetic shared by GraphQL and REST (pure): validation, the granularity of a
 * period's segments, and the complete list of segment keys.
 */
import type { Period } from "./types.js";

export type Granularity = "MONTH" | "DAY" | "HOUR" | "MINUTE";

export const MIN_YEAR = 1970;
export const MAX_YEAR = 9999;

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Why a period is not a real one, or undefined when it is. Messages are written for API clients. */
export function periodError(p: Period): string | undefined {
  const isInt = (n: number) => Number.isSafeInteger(n);
  if (!isInt(p.year) || p.year < MIN_YEAR || p.year > MAX_YEAR) {
    return `year must be an integer from ${MIN_YEAR} to ${MAX_YEAR}, got ${p.year}`;
  }
  if (p.month === undefined) {
    if (p.day !== undefined) return "day needs month";
    if (p.hour !== undefined) return "hour needs day";
    return undefined;
  }
  if (!isInt(p.month) || p.month < 1 || p.month > 12) return `month must be 1-12, got ${p.month}`;
  if (p.day === undefined) return p.hour === undefined ? undefined : "hour needs day";
  const days = daysInMonth(p.year, p.month);
  if (!isInt(p.day) || p.day < 1 || p.day > days) {
    return `day must be 1-${days} for ${p.year}-${p.month}, got ${p.day}`;
  }
  if (p.hour === undefined) return undefined;
  if (!isInt(p.hour) || p.hour < 0 || p.hour > 23) return `hour must be 0-23, got ${p.hour}`;
  return undefined;
}

/** The unit of a period's segments: months of a year, days of a month, hours of a day, minutes of an hour. */
export function granularityOf(p: Period): Granularity {
  if (p.month === undefined) return "MONTH";
  if (p.day === undefined) return "DAY";
  if (p.hour === undefined) return "HOUR";
  return "MINUTE";
}

/** The first and last segment key of a (valid) period: 1-12, 1-28..31, 0-23 or 0-59. */
export function segmentRange(p: Period): { first: number; last: number } {
  switch (granularityOf(p)) {
    case "MONTH":
      return { first: 1, last: 12 };
    case "DAY":
      return { first: 1, last: daysInMonth(p.year, p.month as number) };
    case "HOUR":
      return { first: 0, last: 23 };
    case "MINUTE":
      return { first: 0, last: 59 };
  }
}

/** Every segment key of a (valid) period, in order: 1..12, 1..28-31, 0..23 or 0..59. */
export function segmentKeys(p: Period): number[] {
  const { first, last } = segmentRange(p);
  const keys: number[] = [];
  for (let k = first; k <= last; k++) keys.push(k);
  return keys;
}

/** The periods (year, month, day, hour) that contain a minute, from widest to narrowest. */
export function periodsContaining(b: { year: number; month: number; day: number; hour: number }): Period[] {
  return [
    { year: b.year },
    { year: b.year, month: b.month },
    { year: b.year, month: b.month, day: b.day },
    { year: b.year, month: b.month, day: b.day, hour: b.hour },
  ];
}
