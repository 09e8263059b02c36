/**
 * What a client sees of a window (pure): points with their start, local label and counts, the
 * total, and the previous window for comparisons. Built from a read plan's results.
 */
import { funnelCounts, type ReadPlan, trackCounts } from "./read-plan.js";
import type { Granularity, Segment } from "./segments.js";

export interface SeriesHead {
  account: string;
  event: string;
  granularity: Granularity;
  timeZone: string;
  from: Date;
  to: Date;
}

export interface PointView {
  start: Date;
  local: string;
  count: number;
}

export interface SeriesView extends SeriesHead {
  total: number;
  points: PointView[];
  previous: SeriesView | null;
}

export interface StatusCountView {
  status: string;
  count: number;
}

export interface FunnelPointView {
  start: Date;
  local: string;
  total: number;
  statuses: StatusCountView[];
}

export interface FunnelSeriesView extends SeriesHead {
  total: number;
  statuses: StatusCountView[];
  points: FunnelPointView[];
  previous: FunnelSeriesView | null;
}

type Hashes = ReadonlyArray<ReadonlyMap<string, number>>;

export function seriesView(head: SeriesHead, segments: readonly Segment[], plan: ReadPlan, hashes: Hashes): SeriesView {
  const counts = trackCounts(plan, hashes);
  let total = 0;
  const points = segments.map((s, i) => {
    const count = counts[i] ?? 0;
    total += count;
    return { start: new Date(s.start), local: s.local, count };
  });
  return { ...head, total, points, previous: null };
}

export function funnelSeriesView(
  head: SeriesHead,
  segments: readonly Segment[],
  plan: ReadPlan,
  hashes: Hashes,
): FunnelSeriesView {
  const counts = funnelCounts(plan, hashes);
  const overall = new Map<string, number>();
  const points = segments.map((s, i) => {
    const statuses = sortedStatuses(counts[i] ?? new Map());
    let total = 0;
    for (const { status, count } of statuses) {
      total += count;
      overall.set(status, (overall.get(status) ?? 0) + count);
    }
    return { start: new Date(s.start), local: s.local, total, statuses };
  });
  const statuses = sortedStatuses(overall);
  const total = statuses.reduce((n, s) => n + s.count, 0);
  return { ...head, total, statuses, points, previous: null };
}

function sortedStatuses(counts: ReadonlyMap<string, number>): StatusCountView[] {
  return [...counts]
    .map(([status, count]) => ({ status, count }))
    .sort((a, b) => (a.status < b.status ? -1 : a.status > b.status ? 1 : 0));
}
