/**
 * Reads a ranking (docs/contract.md §9) from the store: the window resolved as §7's, its plan of ranking sets
 * and rollup hashes, all read in one round trip. Shared by the `top` query and the live feed.
 */
import { planTop, type TopPlan } from "../domain/read-plan.js";
import { type TopView, topView } from "../domain/top-view.js";
import type { StatsStore } from "../domain/types.js";
import { resolveWindow, type Window, type WindowRequest } from "../domain/window.js";

export interface TopTarget {
  event: string;
  first: number;
  window: Window;
}

export interface PlannedTop {
  target: TopTarget;
  plan: TopPlan;
}

export interface TopReadOptions {
  /** How long minute counts (and minute rankings) are kept (ms). */
  minuteRetentionMs: number;
  maxPoints: number;
}

/** Plans a target's reads at `now`; throws PlanError (a client's mistake) when the data cannot answer. */
export function planTopTarget(target: TopTarget, now: number, opts: TopReadOptions): PlannedTop {
  const w = target.window;
  const plan = planTop(w.from, w.to, {
    now,
    minuteRetention: opts.minuteRetentionMs,
    describe: `${w.granularity} boundaries in ${w.zone.name}`,
  });
  return { target, plan };
}

/** Resolves and plans a request (WindowError / PlanError for a client's mistake). */
export function planTopRequest(
  req: { event: string; first: number; window: WindowRequest },
  now: number,
  opts: TopReadOptions,
): PlannedTop {
  const window = resolveWindow(req.window, now, opts.maxPoints);
  return planTopTarget({ event: req.event, first: req.first, window }, now, opts);
}

export async function readTop(store: StatsStore, planned: PlannedTop): Promise<TopView> {
  const { target, plan } = planned;
  const w = target.window;
  const counts = await store.top({
    event: target.event,
    sets: plan.sets,
    first: target.first,
    totals: plan.total.reads,
  });
  const head = {
    event: target.event,
    granularity: w.granularity,
    timeZone: w.zone.name,
    from: new Date(w.from),
    to: new Date(w.to),
  };
  return topView(head, plan.total, counts.totals, counts);
}
