/**
 * The watches of a live window feed (docs/contract.md §7): what series-feed.ts (§7) and top-feed.ts (§9)
 * share. Each feed hands in what is its own: how a target is planned and read, which deltas touch
 * a watch, what makes two subscriptions one watch, what makes two answers equal, a rate limit.
 *
 * Subscribers of the same key share one watch. A flush with a delta that touches a watch makes it
 * read once, whatever the number of subscribers, and all of them receive the same object; a read
 * asked while one runs is made once more after it; an answer equal to the last one sent is not sent
 * again. With `minIntervalMs` a watch reads at most once per interval (a burst of flushes is read
 * once at the end of the interval, never skipped). A `last: N` window also slides: one timer per
 * (zone, granularity) fires when the zone's next segment begins, and every sliding watch of that
 * zone and granularity is planned again and read, even when no event arrives. Zones are keyed by
 * their canonical name (domain/zone.ts), so `asia/kolkata` and `Asia/Kolkata` share one timer.
 */
import { segmentEnd } from "../domain/segments.js";
import type { Delta } from "../domain/types.js";
import { resolveWindow, type Window } from "../domain/window.js";
import type { Logger } from "../log.js";
import { type Channel, createChannel } from "./channel.js";
import type { LiveFeed } from "./feed.js";
import type { FlushedBatch } from "./pubsub.js";

/** What a feed plans: a target whose window (§7) is what slides. */
export interface Planned {
  target: { window: Window };
}

export interface SlidingWatchesOptions<P extends Planned, V> {
  now: () => number;
  maxPoints: number;
  /** Plans a target at `now` (a slid window's; a new watch comes planned). */
  plan: (target: P["target"], now: number) => P;
  read: (planned: P) => Promise<V>;
  /** Whether a flushed delta may change what the watch reads. */
  touches: (planned: P, delta: Delta) => boolean;
  /** Subscriptions with the same key share one watch. */
  keyOf: (planned: P, last: number | undefined) => string;
  /** An answer whose state equals the last one sent is not sent again. */
  stateOf: (view: V) => string;
  /** At most one read per watch in this time (ms); none: no limit. */
  minIntervalMs?: number | undefined;
  /** Called before a new distinct window is watched (not for one already watched): throws to refuse it. */
  admitWatch?: (() => void) | undefined;
  /** The warnings logged when a read or a slide fails. */
  readFailed: string;
  slideFailed: string;
}

export interface SlidingWatches<P, V> {
  watch(planned: P, last: number | undefined): Promise<AsyncIterableIterator<V>>;
  /** Timers running (one per zone and granularity with sliding watches). */
  readonly timers: number;
  readonly subscribers: number;
  close(): Promise<void>;
}

interface Watch<P, V> {
  key: string;
  planned: P;
  /** For `last: N`: how many segments (the window slides). */
  last: number | undefined;
  sinks: Set<Channel<V>>;
  /** The state last sent, to skip an answer that changed nothing. */
  sent: string | undefined;
  reading: boolean;
  again: boolean;
  /** When the last read began (ms), for the rate limit. */
  readAt: number;
  /** A read held back by the rate limit. */
  timer: NodeJS.Timeout | undefined;
}

interface Ticker<P, V> {
  watches: Set<Watch<P, V>>;
  timer: NodeJS.Timeout | undefined;
}

/** A boundary further away than this is re-checked then (setTimeout's range, and clock drift). */
const MAX_TIMER_MS = 3_600_000;
/** Fire just after the boundary, so the new segment is the current one. */
const AFTER_BOUNDARY_MS = 5;

export function createSlidingWatches<P extends Planned, V>(
  live: LiveFeed,
  log: Logger,
  opts: SlidingWatchesOptions<P, V>,
): SlidingWatches<P, V> {
  const watches = new Map<string, Watch<P, V>>();
  const tickers = new Map<string, Ticker<P, V>>();
  const minInterval = opts.minIntervalMs;
  let closed = false;

  /** Reads a watch and hands a changed answer to every subscriber. */
  const send = async (w: Watch<P, V>) => {
    try {
      const view = await opts.read(w.planned);
      const state = opts.stateOf(view);
      if (state === w.sent) return;
      w.sent = state;
      for (const sink of w.sinks) sink.push(view);
    } catch (err) {
      log.warn({ err, watch: w.key }, opts.readFailed);
    }
  };

  /** Reads a watch once, no more often than the interval; reads asked meanwhile are merged into one. */
  const refresh = (w: Watch<P, V>) => {
    if (closed || w.timer) return;
    if (w.reading) {
      w.again = true;
      return;
    }
    const wait = minInterval === undefined ? 0 : w.readAt + minInterval - Date.now();
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
    void send(w).finally(() => {
      w.reading = false;
      if (w.again && watches.get(w.key) === w) refresh(w);
    });
  };

  live.onFlushed((batch?: FlushedBatch) => {
    if (closed || watches.size === 0) return;
    for (const w of watches.values()) {
      if (!batch || batch.deltas.some((d) => opts.touches(w.planned, d))) refresh(w);
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
          w.planned = opts.plan({ ...t, window }, now);
          refresh(w);
        }
      } catch (err) {
        log.warn({ err, watch: w.key }, opts.slideFailed);
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

  const slideWith = (w: Watch<P, V>) => {
    const { zone, granularity } = w.planned.target.window;
    const tickerKey = `${zone.name}\0${granularity}`;
    let ticker = tickers.get(tickerKey);
    if (!ticker) {
      ticker = { watches: new Set(), timer: undefined };
      tickers.set(tickerKey, ticker);
    }
    ticker.watches.add(w);
    if (!ticker.timer) schedule(tickerKey);
  };

  const forget = (w: Watch<P, V>) => {
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
      const key = opts.keyOf(planned, last);
      let w = watches.get(key);
      if (!w) {
        opts.admitWatch?.();
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
        if (last !== undefined) slideWith(w);
      }
      const owner = w;
      const sink: Channel<V> = createChannel<V>({ kind: "latest" }, () => {
        owner.sinks.delete(sink);
        if (owner.sinks.size === 0 && watches.get(key) === owner) forget(owner);
      });
      // Attach before reading: a flush during the snapshot's read is read again for everyone.
      owner.sinks.add(sink);
      try {
        sink.push(await opts.read(owner.planned));
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
      for (const w of watches.values()) clearTimeout(w.timer);
      const sinks = [...watches.values()].flatMap((w) => [...w.sinks]);
      watches.clear();
      await Promise.all(sinks.map((s) => s.return?.()));
    },
  };
}
