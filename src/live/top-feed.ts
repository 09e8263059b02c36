/**
 * Live rankings (docs/contract.md §9): the `top` subscription.
 *
 * Subscribers of the same arguments (event, granularity, zone, from/to or last N, first) share one
 * watch. A flush with a delta of that event inside the window makes the watch read once, whatever
 * the number of subscribers, at most once per `minIntervalMs` (a ranking is a union of many sorted
 * sets: a burst of flushes is read once at the end of the interval, never skipped), and all of them
 * receive the same object (so its execution is shared: plugins/use-shared-execution.ts). An answer
 * equal to the last one sent is not sent again. A `last: N` window also slides: one timer per
 * (zone, granularity) fires when the zone's next segment begins, even when no event arrives.
 */
import { segmentEnd } from "../domain/segments.js";
import type { TopView } from "../domain/top-view.js";
import type { Delta, StatsStore } from "../domain/types.js";
import { resolveWindow } from "../domain/window.js";
import type { Logger } from "../log.js";
import { type PlannedTop, planTopTarget, readTop, type TopReadOptions } from "../read/top-read.js";
import { type Channel, createChannel } from "./channel.js";
import type { LiveFeed } from "./feed.js";
import type { FlushedBatch } from "./pubsub.js";

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

interface Watch {
  key: string;
  planned: PlannedTop;
  last: number | undefined;
  sinks: Set<Channel<TopView>>;
  /** The state last sent, to skip an answer that changed nothing. */
  sent: string | undefined;
  reading: boolean;
  again: boolean;
  /** When the last read began (ms), for the rate limit. */
  readAt: number;
  /** A read held back by the rate limit. */
  timer: NodeJS.Timeout | undefined;
}

interface Ticker {
  watches: Set<Watch>;
  timer: NodeJS.Timeout | undefined;
}

const MAX_TIMER_MS = 3_600_000;
const AFTER_BOUNDARY_MS = 5;

const stateOf = (v: TopView) =>
  `${v.from.getTime()}|${v.total}|${v.accountCount}|${v.accounts.map((a) => `${a.account}:${a.count}`).join(",")}`;

export function createTopFeed(live: LiveFeed, store: StatsStore, log: Logger, opts: TopFeedOptions): TopFeed {
  const watches = new Map<string, Watch>();
  const tickers = new Map<string, Ticker>();
  const minInterval = opts.minIntervalMs ?? 1_000;
  let closed = false;

  /** Reads a watch and hands the answer to every subscriber, no more often than the interval. */
  const refresh = (w: Watch) => {
    if (closed || w.timer) return;
    if (w.reading) {
      w.again = true;
      return;
    }
    const wait = w.readAt + minInterval - Date.now();
    if (wait > 0) {
      w.timer = setTimeout(() => {
        w.timer = undefined;
        refresh(w);
      }, wait);
      return;
    }
    w.reading = true;
    w.again = false;
    w.readAt = Date.now();
    readTop(store, w.planned)
      .then(
        (view) => {
          const state = stateOf(view);
          if (state === w.sent) return;
          w.sent = state;
          for (const sink of w.sinks) sink.push(view);
        },
        (err: unknown) => log.warn({ err, watch: w.key }, "live top: reading a ranking failed; skipped"),
      )
      .finally(() => {
        w.reading = false;
        if (w.again && watches.get(w.key) === w) refresh(w);
      });
  };

  const touches = (w: Watch, d: Delta) => {
    if (d.kind !== "track" || d.event !== w.planned.target.event) return false;
    const at = Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute);
    const { from, to } = w.planned.target.window;
    return at < to && at + 60_000 > from;
  };

  live.onFlushed((batch?: FlushedBatch) => {
    if (closed || watches.size === 0) return;
    for (const w of watches.values()) {
      if (!batch || batch.deltas.some((d) => touches(w, d))) refresh(w);
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
          w.planned = planTopTarget({ ...t, window }, now, opts);
          refresh(w);
        }
      } catch (err) {
        log.warn({ err, watch: w.key }, "live top: sliding a window failed; kept the previous one");
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
    ticker.timer = setTimeout(
      () => slide(tickerKey),
      Math.min(Math.max(next - now, 0) + AFTER_BOUNDARY_MS, MAX_TIMER_MS),
    );
  };

  const keyOf = (p: PlannedTop, last: number | undefined) => {
    const { event, first, window: w } = p.target;
    const span = last === undefined ? `${w.from}-${w.to}` : `last${last}`;
    return [event, first, w.granularity, w.zone.name, span].join("\0");
  };

  const forget = (w: Watch) => {
    watches.delete(w.key);
    clearTimeout(w.timer);
    w.timer = undefined;
    for (const [tickerKey, ticker] of tickers) {
      if (!ticker.watches.delete(w) || ticker.watches.size > 0) continue;
      clearTimeout(ticker.timer);
      tickers.delete(tickerKey);
    }
  };

  return {
    async watch(planned, last) {
      if (closed) throw new Error("live feed is closed");
      const key = keyOf(planned, last);
      let w = watches.get(key);
      if (!w) {
        w = {
          key,
          planned,
          last,
          sinks: new Set(),
          sent: undefined,
          reading: false,
          again: false,
          readAt: 0,
          timer: undefined,
        };
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
      const sink: Channel<TopView> = createChannel<TopView>({ kind: "latest" }, () => {
        owner.sinks.delete(sink);
        if (owner.sinks.size === 0 && watches.get(key) === owner) forget(owner);
      });
      // Attach before reading: a flush during the snapshot's read is read again for everyone.
      owner.sinks.add(sink);
      try {
        sink.push(await readTop(store, owner.planned));
        return sink;
      } catch (err) {
        await sink.return?.();
        throw err;
      }
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
      for (const w of watches.values()) clearTimeout(w.timer);
      const sinks = [...watches.values()].flatMap((w) => [...w.sinks]);
      watches.clear();
      await Promise.all(sinks.map((s) => s.return?.()));
    },
  };
}
