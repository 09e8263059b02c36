/**
 * The live feed of one API process: it hears each flushed batch once from the bus and fans it
 * out to this process's subscribers. The work per flush follows what changed, never how many
 * subscribe: a period that N clients watch is read from the store once (all changed, watched
 * periods of a flush in one round trip), and all N receive the same Stats object.
 *
 * Order per subscriber: the current snapshot first, then one update per flush that changed the
 * period. Reads on one Redis connection complete in the order they were sent, so an update is
 * never older than the snapshot; one that carries the same total as what the subscriber last got
 * is the same state (counters only grow: a flush it already saw) and is not sent again. A slow
 * client skips straight to the newest state instead of queueing old ones.
 *
 * When the bus reconnects after an outage, the flushes announced meanwhile were never heard:
 * every watched period is read again, and each subscriber whose period changed gets its current
 * state (increments published during the gap are not replayed).
 */

import { changedPeriods, type Increment, incrementsOf, type PeriodRef, periodKey } from "../domain/changes.js";
import type { Period, StatsStore } from "../domain/types.js";
import { type FunnelView, funnelView, type StatsView, statsView } from "../domain/views.js";
import type { Logger } from "../log.js";
import { type Channel, createChannel } from "./channel.js";
import type { FlushedBatch, LiveBus } from "./pubsub.js";

export interface IncrementFilter {
  account: string | undefined;
  event: string | undefined;
  /** Only accounts this accepts (an API token's accounts); undefined = any. */
  readable?: ((account: string) => boolean) | undefined;
}

export interface LiveFeed {
  /** Resolves once the snapshot is read: the iterator yields it first, then every update. */
  stats(account: string, event: string, period: Period): Promise<AsyncIterableIterator<StatsView>>;
  funnel(account: string, event: string, period: Period): Promise<AsyncIterableIterator<FunnelView>>;
  increments(filter: IncrementFilter): AsyncIterableIterator<Increment>;
  /**
   * Called once per flushed batch heard on the bus, before any subscriber is updated, and when
   * the bus reconnects (flushes may have been missed; then without a batch).
   */
  onFlushed(listener: (batch?: FlushedBatch) => void): void;
  /** Called when the bus reconnected and every watched period is being read again. */
  onResync(listener: () => void): void;
  /** Subscribers currently attached (stats + funnel + increments). */
  readonly subscribers: number;
  close(): Promise<void>;
}

export interface LiveFeedOptions {
  /** Increments a subscriber may fall behind before its subscription ends. */
  incrementBacklog?: number;
}

type View = StatsView | FunnelView;

interface Sink {
  channel: Channel<View>;
  /** Until the snapshot is out, the newest update is held here. */
  snapshotDone: boolean;
  held: View | undefined;
  /** Total of the last state sent: a state with the same total is the same state (counters only grow). */
  sentTotal: number | undefined;
}

interface Watch {
  ref: PeriodRef;
  sinks: Set<Sink>;
}

export function createLiveFeed(bus: LiveBus, store: StatsStore, log: Logger, opts: LiveFeedOptions = {}): LiveFeed {
  const backlog = opts.incrementBacklog ?? 10_000;
  const watches = new Map<string, Watch>();
  const incrementSinks = new Set<{ filter: IncrementFilter; channel: Channel<Increment> }>();
  let pending = new Map<string, PeriodRef>();
  let refreshing = false;
  let closed = false;
  const flushListeners: Array<(batch?: FlushedBatch) => void> = [];
  const resyncListeners: Array<() => void> = [];

  const view = (ref: PeriodRef, counts: Map<string, number>): View =>
    ref.kind === "track"
      ? statsView(ref.account, ref.event, ref.period, counts)
      : funnelView(ref.account, ref.event, ref.period, counts);

  const deliver = (sink: Sink, v: View) => {
    if (!sink.snapshotDone) {
      sink.held = v;
      return;
    }
    // A flush whose message arrives after a subscriber's snapshot already counted it: nothing new.
    if (v.total === sink.sentTotal) return;
    sink.sentTotal = v.total;
    sink.channel.push(v);
  };

  // Flushes that arrive while a read is in flight are merged into the next read.
  const refresh = async () => {
    refreshing = true;
    try {
      while (pending.size > 0 && !closed) {
        const refs = [...pending.values()];
        pending = new Map();
        try {
          const counts = await store.countsMany(refs);
          refs.forEach((ref, i) => {
            const watch = watches.get(periodKey(ref));
            if (!watch) return;
            const shared = view(ref, counts[i] ?? new Map());
            for (const sink of watch.sinks) deliver(sink, shared);
          });
        } catch (err) {
          log.warn({ err, periods: refs.length }, "live update: reading changed periods failed; skipped");
        }
      }
    } finally {
      refreshing = false;
    }
  };

  const onBatch = (batch: FlushedBatch) => {
    for (const listener of flushListeners) listener(batch);
    if (incrementSinks.size > 0) {
      const increments = incrementsOf(batch.deltas);
      for (const { filter, channel } of incrementSinks) {
        for (const inc of increments) {
          if (filter.account !== undefined && filter.account !== inc.account) continue;
          if (filter.event !== undefined && filter.event !== inc.event) continue;
          if (filter.readable !== undefined && !filter.readable(inc.account)) continue;
          channel.push(inc);
        }
      }
    }
    if (watches.size === 0) return;
    for (const [key, ref] of changedPeriods(batch.deltas)) if (watches.has(key)) pending.set(key, ref);
    if (pending.size > 0 && !refreshing) void refresh();
  };

  bus.onReconnect(() => {
    if (closed) return;
    try {
      for (const listener of flushListeners) listener();
      for (const listener of resyncListeners) listener();
    } catch (err) {
      log.error({ err }, "live update: resync listener failed");
    }
    for (const [key, w] of watches) pending.set(key, w.ref);
    log.info({ periods: pending.size }, "live bus reconnected: reading every watched period again");
    if (pending.size > 0 && !refreshing) void refresh();
  });

  const source = bus.pubsub.subscribe("flushed");
  const listening = (async () => {
    for await (const batch of source) {
      try {
        onBatch(batch);
      } catch (err) {
        log.error({ err }, "live update: fan-out failed");
      }
    }
  })().catch((err: unknown) => {
    if (!closed) log.error({ err }, "live update: bus subscription failed; live updates stopped");
  });

  const watch = async (ref: PeriodRef): Promise<AsyncIterableIterator<View>> => {
    if (closed) throw new Error("live feed is closed");
    const key = periodKey(ref);
    let w = watches.get(key);
    if (!w) {
      w = { ref, sinks: new Set() };
      watches.set(key, w);
    }
    const owner = w;
    const sink: Sink = {
      snapshotDone: false,
      held: undefined,
      sentTotal: undefined,
      channel: createChannel<View>({ kind: "latest" }, () => {
        owner.sinks.delete(sink);
        if (owner.sinks.size === 0 && watches.get(key) === owner) watches.delete(key);
      }),
    };
    // Attach before reading, so no flush can fall between the snapshot and the first update.
    owner.sinks.add(sink);
    try {
      const [counts] = await store.countsMany([ref]);
      const snapshot = view(ref, counts ?? new Map());
      sink.channel.push(snapshot);
      sink.sentTotal = snapshot.total;
      sink.snapshotDone = true;
      const held = sink.held;
      sink.held = undefined;
      if (held) deliver(sink, held);
      return sink.channel;
    } catch (err) {
      await sink.channel.return?.();
      throw err;
    }
  };

  // The kind decides the view: track periods yield StatsView, funnels periods FunnelView.
  return {
    stats: (account, event, period) =>
      watch({ kind: "track", account, event, period }) as Promise<AsyncIterableIterator<StatsView>>,
    funnel: (account, event, period) =>
      watch({ kind: "funnels", account, event, period }) as Promise<AsyncIterableIterator<FunnelView>>,
    increments(filter) {
      if (closed) throw new Error("live feed is closed");
      const entry = {
        filter,
        channel: createChannel<Increment>({ kind: "queue", limit: backlog }, () => incrementSinks.delete(entry)),
      };
      incrementSinks.add(entry);
      return entry.channel;
    },
    onFlushed(listener) {
      flushListeners.push(listener);
    },
    onResync(listener) {
      resyncListeners.push(listener);
    },
    get subscribers() {
      let n = incrementSinks.size;
      for (const w of watches.values()) n += w.sinks.size;
      return n;
    },
    async close() {
      closed = true;
      await source.return();
      await listening;
      const channels: Array<Channel<unknown>> = [...incrementSinks].map((s) => s.channel);
      for (const w of watches.values()) for (const s of w.sinks) channels.push(s.channel);
      await Promise.all(channels.map((c) => c.return?.()));
    },
  };
}
