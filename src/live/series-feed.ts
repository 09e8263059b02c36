/**
 * Live time windows (docs/contract.md §7): `series` and `funnelSeries` subscriptions.
 *
 * Subscribers of the same window (kind, account, event, granularity, zone, from/to or last N, and
 * whether `previous` is selected) share one watch. A flush whose deltas fall inside a watched
 * window (or its previous) makes the watch read once, whatever the number of subscribers, and all
 * of them receive the same object. A `last: N` window also slides: one timer per (zone,
 * granularity) fires when the zone's next segment begins, and every sliding watch of that zone
 * and granularity is moved forward and read again, even when no event arrives. Zones are keyed by
 * their canonical name (domain/zone.ts), so `asia/kolkata` and `Asia/Kolkata` share one timer.
 */
import { segmentEnd } from "../domain/segments.js";
import type { FunnelSeriesView, SeriesView } from "../domain/series-view.js";
import type { Delta, StatsStore } from "../domain/types.js";
import { resolveWindow } from "../domain/window.js";
import type { Logger } from "../log.js";
import {
  type PlannedSeries,
  planSeries,
  readFunnelSeries,
  readSeries,
  type SeriesReadOptions,
  type SeriesTarget,
} from "../read/series-read.js";
import { type Channel, createChannel } from "./channel.js";
import type { LiveFeed } from "./feed.js";
import type { FlushedBatch } from "./pubsub.js";

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

interface Watch {
  key: string;
  planned: PlannedSeries;
  /** For `last: N`: how many segments (the window slides). */
  last: number | undefined;
  sinks: Set<Channel<View>>;
  /** Total(s) of the state last sent, to skip a flush that changed nothing here. */
  sent: string | undefined;
  reading: boolean;
  again: boolean;
}

interface Ticker {
  watches: Set<Watch>;
  timer: NodeJS.Timeout | undefined;
}

/** A boundary further away than this is re-checked then (setTimeout's range, and clock drift). */
const MAX_TIMER_MS = 3_600_000;
/** Fire just after the boundary, so the new segment is the current one. */
const AFTER_BOUNDARY_MS = 5;

export function createSeriesFeed(live: LiveFeed, store: StatsStore, log: Logger, opts: SeriesFeedOptions): SeriesFeed {
  const watches = new Map<string, Watch>();
  const tickers = new Map<string, Ticker>();
  let closed = false;

  const read = (planned: PlannedSeries): Promise<View> =>
    planned.target.kind === "track" ? readSeries(store, planned) : readFunnelSeries(store, planned);
  const stateOf = (v: View) => `${v.from.getTime()}:${v.total}:${v.previous?.total ?? ""}`;

  /** Reads a watch once and hands the result to every subscriber; reads asked meanwhile are merged. */
  const refresh = async (w: Watch) => {
    if (w.reading) {
      w.again = true;
      return;
    }
    w.reading = true;
    try {
      do {
        w.again = false;
        try {
          const view = await read(w.planned);
          const state = stateOf(view);
          if (state === w.sent) continue;
          w.sent = state;
          for (const sink of w.sinks) sink.push(view);
        } catch (err) {
          log.warn({ err, watch: w.key }, "live series: reading a window failed; skipped");
        }
      } while (w.again && !closed);
    } finally {
      w.reading = false;
    }
  };

  const touches = (w: Watch, d: Delta) => {
    const t = w.planned.target;
    if (t.kind !== d.kind || t.account !== d.account || t.event !== d.event) return false;
    const at =
      d.kind === "track"
        ? Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute)
        : Date.UTC(d.year, d.month - 1, d.day, d.hour);
    const windows = w.planned.windows;
    const from = windows[windows.length - 1]?.from ?? 0;
    const to = windows[0]?.to ?? 0;
    // A funnel delta stands for its whole UTC hour.
    return at < to && at + (d.kind === "funnels" ? 3_600_000 : 60_000) > from;
  };

  live.onFlushed((batch?: FlushedBatch) => {
    if (closed || watches.size === 0) return;
    for (const w of watches.values()) {
      if (!batch || batch.deltas.some((d) => touches(w, d))) void refresh(w);
    }
  });

  const slide = (tickerKey: string) => {
    const ticker = tickers.get(tickerKey);
    if (!ticker || closed) return;
    ticker.timer = undefined;
    const now = opts.now();
    for (const w of ticker.watches) {
      const t = w.planned.target;
      try {
        const window = resolveWindow(
          { granularity: t.window.granularity, timeZone: t.window.zone.name, last: w.last },
          now,
          opts.maxPoints,
        );
        if (window.from !== t.window.from) {
          w.planned = planSeries({ ...t, window }, now, opts);
          void refresh(w);
        }
      } catch (err) {
        log.warn({ err, watch: w.key }, "live series: sliding a window failed; kept the previous one");
      }
    }
    schedule(tickerKey);
  };

  const schedule = (tickerKey: string) => {
    const ticker = tickers.get(tickerKey);
    const any = ticker?.watches.values().next().value;
    if (!ticker || !any || closed) return;
    const { zone, granularity } = any.planned.target.window;
    const now = opts.now();
    const next = segmentEnd(zone, granularity, now);
    const delay = Math.min(Math.max(next - now, 0) + AFTER_BOUNDARY_MS, MAX_TIMER_MS);
    ticker.timer = setTimeout(() => slide(tickerKey), delay);
  };

  const keyOf = (t: SeriesTarget, last: number | undefined) =>
    [
      t.kind,
      t.account,
      t.event,
      t.window.granularity,
      t.window.zone.name,
      last === undefined ? `${t.window.from}-${t.window.to}` : `last${last}`,
      t.withPrevious ? "p" : "",
    ].join("\0");

  return {
    async watch(planned, last) {
      if (closed) throw new Error("live feed is closed");
      const key = keyOf(planned.target, last);
      let w = watches.get(key);
      if (!w) {
        opts.admitWatch?.();
        w = { key, planned, last, sinks: new Set(), sent: undefined, reading: false, again: false };
        watches.set(key, w);
        if (last !== undefined) {
          const tickerKey = `${planned.target.window.zone.name}\0${planned.target.window.granularity}`;
          let ticker = tickers.get(tickerKey);
          if (!ticker) {
            ticker = { watches: new Set(), timer: undefined };
            tickers.set(tickerKey, ticker);
          }
          ticker.watches.add(w);
          if (!ticker.timer) schedule(tickerKey);
        }
      }
      const owner = w;
      const sink: Channel<View> = createChannel<View>({ kind: "latest" }, () => {
        owner.sinks.delete(sink);
        if (owner.sinks.size > 0 || watches.get(key) !== owner) return;
        watches.delete(key);
        for (const [tickerKey, ticker] of tickers) {
          if (!ticker.watches.delete(owner) || ticker.watches.size > 0) continue;
          clearTimeout(ticker.timer);
          tickers.delete(tickerKey);
        }
      });
      // Attach before reading: a flush during the snapshot's read is read again for everyone.
      owner.sinks.add(sink);
      try {
        const snapshot = await read(owner.planned);
        sink.push(snapshot);
        return sink;
      } catch (err) {
        await sink.return?.();
        throw err;
      }
    },
    get timers() {
      let n = 0;
      for (const t of tickers.values()) if (t.timer) n++;
      return n;
    },
    get subscribers() {
      let n = 0;
      for (const w of watches.values()) n += w.sinks.size;
      return n;
    },
    async close() {
      closed = true;
      for (const t of tickers.values()) clearTimeout(t.timer);
      tickers.clear();
      const sinks = [...watches.values()].flatMap((w) => [...w.sinks]);
      watches.clear();
      await Promise.all(sinks.map((s) => s.return?.()));
    },
  };
}
