/**
 * Live rankings (docs/contract.md §9): the `top` subscription.
 *
 * Subscribers of the same arguments (event, granularity, zone, from/to or last N, first) share one
 * watch. A flush with a delta of that event inside the window makes the watch read once, whatever
 * the number of subscribers, at most once per `minIntervalMs` (a ranking is a union of many sorted
 * sets: a burst of flushes is read once at the end of the interval, never skipped), and all of them
 * receive the same object (so its execution is shared: plugins/use-shared-execution.ts). An answer
 * equal to the last one sent is not sent again. A `last: N` window also slides: one timer per
 * (zone, granularity) fires when the zone's next segment begins, even when no event arrives. The
 * watches, their reads and the timers are sliding-watches.ts's, shared with the live series; this
 * file holds what is a ranking's own.
 */
import type { TopView } from "../domain/top-view.js";
import type { Delta, StatsStore } from "../domain/types.js";
import type { Logger } from "../log.js";
import { type PlannedTop, planTopTarget, readTop, type TopReadOptions } from "../read/top-read.js";
import type { LiveFeed } from "./feed.js";
import { createSlidingWatches } from "./sliding-watches.js";

export interface TopFeedOptions extends TopReadOptions {
  now: () => number;
  /** At most one read (and one new answer) per watch in this time; default 1 s (docs/contract.md §9). */
  minIntervalMs?: number;
}

export interface TopFeed {
  /** The ranking now, then a new one after flushes that changed it (and at each slide). */
  watch(planned: PlannedTop, last: number | undefined): Promise<AsyncIterableIterator<TopView>>;
  readonly subscribers: number;
  close(): Promise<void>;
}

const stateOf = (v: TopView) =>
  `${v.from.getTime()}|${v.total}|${v.accountCount}|${v.accounts.map((a) => `${a.account}:${a.count}`).join(",")}`;

const touches = (planned: PlannedTop, d: Delta) => {
  if (d.kind !== "track" || d.event !== planned.target.event) return false;
  const at = Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute);
  const { from, to } = planned.target.window;
  return at < to && at + 60_000 > from;
};

const keyOf = (p: PlannedTop, last: number | undefined) => {
  const { event, first, window: w } = p.target;
  const span = last === undefined ? `${w.from}-${w.to}` : `last${last}`;
  return [event, first, w.granularity, w.zone.name, span].join("\0");
};

export function createTopFeed(live: LiveFeed, store: StatsStore, log: Logger, opts: TopFeedOptions): TopFeed {
  return createSlidingWatches(live, log, {
    now: opts.now,
    maxPoints: opts.maxPoints,
    minIntervalMs: opts.minIntervalMs ?? 1_000,
    plan: (target, now) => planTopTarget(target, now, opts),
    read: (planned) => readTop(store, planned),
    touches,
    keyOf,
    stateOf,
    readFailed: "live top: reading a ranking failed; skipped",
    slideFailed: "live top: sliding a window failed; kept the previous one",
  });
}
