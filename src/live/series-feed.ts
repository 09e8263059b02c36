/**
 * Live time windows (docs/contract.md §7): `series` and `funnelSeries` subscriptions.
 *
 * Subscribers of the same window (kind, account, event, granularity, zone, from/to or last N, and
 * whether `previous` is selected) share one watch. A flush whose deltas fall inside a watched
 * window (or its previous) makes the watch read once, whatever the number of subscribers, and all
 * of them receive the same object; a read whose totals equal the last ones sent is not sent again.
 * A `last: N` window also slides: one timer per (zone, granularity) fires when the zone's next
 * segment begins, and every sliding watch of that zone and granularity is moved forward and read
 * again, even when no event arrives. The watches, their reads and the timers are
 * sliding-watches.ts's, shared with the live `top`; this file holds what is a series' own.
 */
import type { FunnelSeriesView, SeriesView } from "../domain/series-view.js";
import type { Delta, StatsStore } from "../domain/types.js";
import type { Logger } from "../log.js";
import {
  type PlannedSeries,
  planSeries,
  readFunnelSeries,
  readSeries,
  type SeriesReadOptions,
} from "../read/series-read.js";
import type { LiveFeed } from "./feed.js";
import { createSlidingWatches } from "./sliding-watches.js";

type View = SeriesView | FunnelSeriesView;

export interface SeriesFeedOptions extends SeriesReadOptions {
  now: () => number;
  maxPoints: number;
  /** Called before a new distinct window is watched (not for one already watched): throws to refuse it (the memory budget). */
  admitWatch?: () => void;
}

export interface SeriesFeed {
  /** The window's state now, then a new one after each flush that changed it (and at each slide). */
  watch(planned: PlannedSeries, last: number | undefined): Promise<AsyncIterableIterator<View>>;
  /** Timers running (one per zone and granularity with sliding watches): for tests and metrics. */
  readonly timers: number;
  readonly subscribers: number;
  close(): Promise<void>;
}

/** Total(s) of a state, to skip a flush that changed nothing here. */
const stateOf = (v: View) => `${v.from.getTime()}:${v.total}:${v.previous?.total ?? ""}`;

const touches = (planned: PlannedSeries, d: Delta) => {
  const t = planned.target;
  if (t.kind !== d.kind || t.account !== d.account || t.event !== d.event) return false;
  const at =
    d.kind === "track"
      ? Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute)
      : Date.UTC(d.year, d.month - 1, d.day, d.hour);
  const windows = planned.windows;
  const from = windows[windows.length - 1]?.from ?? 0;
  const to = windows[0]?.to ?? 0;
  // A funnel delta stands for its whole UTC hour.
  return at < to && at + (d.kind === "funnels" ? 3_600_000 : 60_000) > from;
};

const keyOf = ({ target: t }: PlannedSeries, last: number | undefined) =>
  [
    t.kind,
    t.account,
    t.event,
    t.window.granularity,
    t.window.zone.name,
    last === undefined ? `${t.window.from}-${t.window.to}` : `last${last}`,
    t.withPrevious ? "p" : "",
  ].join("\0");

export function createSeriesFeed(live: LiveFeed, store: StatsStore, log: Logger, opts: SeriesFeedOptions): SeriesFeed {
  return createSlidingWatches(live, log, {
    now: opts.now,
    maxPoints: opts.maxPoints,
    admitWatch: opts.admitWatch,
    plan: (target, now) => planSeries(target, now, opts),
    read: (planned): Promise<View> =>
      planned.target.kind === "track" ? readSeries(store, planned) : readFunnelSeries(store, planned),
    touches,
    keyOf,
    stateOf,
    readFailed: "live series: reading a window failed; skipped",
    slideFailed: "live series: sliding a window failed; kept the previous one",
  });
}
