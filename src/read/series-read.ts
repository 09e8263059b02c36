/**
 * Reads a window (and, when asked, the one before it) from the store: one read plan per window,
 * every hash of both in one round trip. Shared by the queries and the live feed.
 */
import { planBytes, planReads, type ReadPlan, type SeriesKind } from "../domain/read-plan.js";
import { segmentStart } from "../domain/segments.js";
import { type FunnelSeriesView, funnelSeriesView, type SeriesView, seriesView } from "../domain/series-view.js";
import { createSizedCache, type SizedCache } from "../domain/sized-cache.js";
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
 * (`last: N`) or forever (`from`/`to`): they are kept, keyed by what determines them (the zone by
 * its canonical name, however it was written), in a cache bounded by bytes (--plan-cache-bytes…
 * see createPlanCache); a kept plan that reads minute counts is re-checked against the retention
 * on every use.
 */
export type PlanCache = SizedCache<string, { windows: Window[]; plans: ReadPlan[] }>;

/** The plan cache: one per process (its owner reports its stats()). */
export function createPlanCache(maxBytes: number): PlanCache {
  return createSizedCache("plans", maxBytes);
}

/**
 * What windows and plans hold in memory, roughly: a segment is an object with its label (measured:
 * ~285 bytes with the heap in use, the label being a string built in pieces), a plan planBytes().
 */
export function plannedBytes(windows: readonly Window[], plans: readonly ReadPlan[]): number {
  let bytes = 0;
  for (const w of windows) bytes += 96 + w.segments.length * 300;
  for (const p of plans) bytes += planBytes(p);
  return bytes;
}

export interface PlanRequest {
  kind: SeriesKind;
  account: string;
  event: string;
  window: WindowRequest;
  withPrevious: boolean;
}

export interface PlanRequestOptions extends SeriesReadOptions {
  maxPoints: number;
  plans: PlanCache;
  /**
   * Told the window's points (its previous has as many) BEFORE anything is planned, and throws
   * to refuse them (the cost limit). For `last: N` it is called before the window is even resolved.
   */
  charge(points: number): void;
  /** Called before a plan is built (not for a kept one): throws to refuse new work (the memory budget). */
  admit?(): void;
}

/** Resolves and plans a request (WindowError / PlanError for a client's mistake), reusing a kept plan. */
export function planRequest(req: PlanRequest, now: number, opts: PlanRequestOptions): PlannedSeries {
  const w = req.window;
  const zone = zoneOf(w.timeZone);
  let key: string | undefined;
  const byLast = w.last !== undefined && w.from === undefined && w.to === undefined;
  if (zone && byLast) {
    key = `${req.kind}|${zone.name}|${w.granularity}|L${w.last}|${req.withPrevious}|${segmentStart(zone, w.granularity, now)}`;
  } else if (zone && w.last === undefined && w.from !== undefined && w.to !== undefined) {
    key = `${req.kind}|${zone.name}|${w.granularity}|${w.from}-${w.to}|${req.withPrevious}`;
  }
  const hit = key === undefined ? undefined : opts.plans.get(key);
  const stillKept = (p: ReadPlan) =>
    p.oldestMinuteHour === undefined || p.oldestMinuteHour > now - opts.minuteRetentionMs;
  if (hit?.plans.every(stillKept)) {
    const window = hit.windows[0] as Window;
    opts.charge(window.segments.length);
    return { target: { ...req, window }, windows: hit.windows, plans: hit.plans };
  }
  // A `last` that resolveWindow would accept is charged before its segments are even made.
  const last = w.last;
  const chargedEarly =
    byLast && last !== undefined && Number.isSafeInteger(last) && last >= 1 && last <= opts.maxPoints;
  if (chargedEarly) opts.charge(last);
  const window = resolveWindow(w, now, opts.maxPoints);
  if (!chargedEarly) opts.charge(window.segments.length);
  opts.admit?.();
  const planned = planSeries({ ...req, window }, now, opts);
  if (key !== undefined)
    opts.plans.set(
      key,
      { windows: planned.windows, plans: planned.plans },
      plannedBytes(planned.windows, planned.plans),
    );
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
