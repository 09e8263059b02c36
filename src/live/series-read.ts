/**
 * Reads a window (and, when asked, the one before it) from the store: one read plan per window,
 * every hash of both in one round trip. Shared by the queries and the live feed.
 */
import { planReads, type ReadPlan, type SeriesKind } from "../domain/read-plan.js";
import { segmentStart } from "../domain/segments.js";
import { type FunnelSeriesView, funnelSeriesView, type SeriesView, seriesView } from "../domain/series-view.js";
import type { StatsStore } from "../domain/types.js";
import { previousWindow, resolveWindow, type Window, type WindowRequest } from "../domain/window.js";
import { zoneOf } from "../domain/zone.js";

export interface SeriesTarget {
  kind: SeriesKind;
  account: string;
  event: string;
  window: Window;
  withPrevious: boolean;
}

export interface SeriesReadOptions {
  /** How long minute counts are kept (ms): minute reads older than this are refused. */
  minuteRetentionMs: number;
}

/** The plans of a target, computed once (they throw a PlanError for a window the data cannot answer). */
export interface PlannedSeries {
  target: SeriesTarget;
  windows: Window[];
  plans: ReadPlan[];
}

/** Plans the reads of a target at `now`; throws PlanError (a client's mistake) when the data cannot answer. */
export function planSeries(target: SeriesTarget, now: number, opts: SeriesReadOptions): PlannedSeries {
  const windows = target.withPrevious ? [target.window, previousWindow(target.window)] : [target.window];
  const describe = `${target.window.granularity} boundaries in ${target.window.zone.name}`;
  const plans = windows.map((w) =>
    planReads(w.segments, { kind: target.kind, now, minuteRetention: opts.minuteRetentionMs, describe }),
  );
  return { target, windows, plans };
}

/**
 * Windows and plans are the same for every request of one window until its segment changes
 * (`last: N`) or forever (`from`/`to`): they are kept, keyed by what determines them, and a kept
 * plan that reads minute counts is re-checked against the retention on every use.
 */
const kept = new Map<string, { windows: Window[]; plans: ReadPlan[] }>();
const KEEP_AT_MOST = 2_000;

export interface PlanRequest {
  kind: SeriesKind;
  account: string;
  event: string;
  window: WindowRequest;
  withPrevious: boolean;
}

/** Resolves and plans a request (WindowError / PlanError for a client's mistake), reusing a kept plan. */
export function planRequest(
  req: PlanRequest,
  now: number,
  opts: SeriesReadOptions & { maxPoints: number },
): PlannedSeries {
  const w = req.window;
  const zone = zoneOf(w.timeZone);
  let key: string | undefined;
  if (zone && w.last !== undefined && w.from === undefined && w.to === undefined) {
    key = `${req.kind}|${zone.name}|${w.granularity}|L${w.last}|${req.withPrevious}|${segmentStart(zone, w.granularity, now)}`;
  } else if (zone && w.last === undefined && w.from !== undefined && w.to !== undefined) {
    key = `${req.kind}|${zone.name}|${w.granularity}|${w.from}-${w.to}|${req.withPrevious}`;
  }
  const hit = key === undefined ? undefined : kept.get(key);
  const stillKept = (p: ReadPlan) =>
    p.oldestMinuteHour === undefined || p.oldestMinuteHour > now - opts.minuteRetentionMs;
  if (hit?.plans.every(stillKept)) {
    const target = { ...req, window: hit.windows[0] as Window };
    return { target, windows: hit.windows, plans: hit.plans };
  }
  const window = resolveWindow(w, now, opts.maxPoints);
  const planned = planSeries({ ...req, window }, now, opts);
  if (key !== undefined) {
    if (kept.size >= KEEP_AT_MOST) kept.clear();
    kept.set(key, { windows: planned.windows, plans: planned.plans });
  }
  return planned;
}

/** Every hash of a planned target in one round trip, sliced per window. */
async function readHashes(store: StatsStore, planned: PlannedSeries): Promise<Array<Array<Map<string, number>>>> {
  const { target, plans } = planned;
  const requests = plans.flatMap((plan) =>
    plan.reads.map((period) => ({ kind: target.kind, account: target.account, event: target.event, period })),
  );
  const hashes = await store.countsMany(requests);
  let offset = 0;
  return plans.map((plan) => {
    const mine = hashes.slice(offset, offset + plan.reads.length);
    offset += plan.reads.length;
    return mine;
  });
}

function headOf(target: SeriesTarget, w: Window) {
  return {
    account: target.account,
    event: target.event,
    granularity: w.granularity,
    timeZone: w.zone.name,
    from: new Date(w.from),
    to: new Date(w.to),
  };
}

/** A time series' window (and previous) in one round trip. */
export async function readSeries(store: StatsStore, planned: PlannedSeries): Promise<SeriesView> {
  const hashes = await readHashes(store, planned);
  const [current, previous] = planned.windows.map((w, i) =>
    seriesView(headOf(planned.target, w), w.segments, planned.plans[i] as ReadPlan, hashes[i] ?? []),
  );
  return { ...(current as SeriesView), previous: previous ?? null };
}

/** A funnel's window (and previous) in one round trip. */
export async function readFunnelSeries(store: StatsStore, planned: PlannedSeries): Promise<FunnelSeriesView> {
  const hashes = await readHashes(store, planned);
  const [current, previous] = planned.windows.map((w, i) =>
    funnelSeriesView(headOf(planned.target, w), w.segments, planned.plans[i] as ReadPlan, hashes[i] ?? []),
  );
  return { ...(current as FunnelSeriesView), previous: previous ?? null };
}
