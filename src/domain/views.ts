/**
 * What a client sees of a period (pure): the zero-filled segments of a `track` period and the
 * statuses of a `funnels` period, built from the hash the store returns. Shared by the queries
 * and by the live feed, so a subscription's snapshot and its updates are the same shape.
 */
import { type Granularity, granularityOf, segmentKeys } from "./period.js";
import type { Counts, Period } from "./types.js";

export interface Segment {
  key: number;
  count: number;
}

export interface StatsView {
  account: string;
  event: string;
  year: number;
  month: number | undefined;
  day: number | undefined;
  hour: number | undefined;
  granularity: Granularity;
  total: number;
  segments: Segment[];
}

export interface StatusCount {
  status: string;
  count: number;
}

export interface FunnelView {
  account: string;
  event: string;
  year: number;
  month: number | undefined;
  day: number | undefined;
  total: number;
  statuses: StatusCount[];
}

/** Every segment of the period in order, zero-filled; fields that are not a segment of it are ignored. */
export function statsView(account: string, event: string, period: Period, counts: Counts): StatsView {
  let total = 0;
  const segments = segmentKeys(period).map((key) => {
    const count = counts.get(String(key)) ?? 0;
    total += count;
    return { key, count };
  });
  return {
    account,
    event,
    year: period.year,
    month: period.month,
    day: period.day,
    hour: period.hour,
    granularity: granularityOf(period),
    total,
    segments,
  };
}

/** The statuses that have counts, sorted by name (stable for clients and tests). */
export function funnelView(account: string, event: string, period: Period, counts: Counts): FunnelView {
  const statuses = [...counts]
    .map(([status, count]) => ({ status, count }))
    .sort((a, b) => (a.status < b.status ? -1 : a.status > b.status ? 1 : 0));
  return {
    account,
    event,
    year: period.year,
    month: period.month,
    day: period.day,
    total: statuses.reduce((sum, s) => sum + s.count, 0),
    statuses,
  };
}
