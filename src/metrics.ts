/** Prometheus metrics, one registry per service instance (tests run several in one process). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Cardinality } from "./store/types.js";

/** Cardinality is read from the store at most this often (a scrape reads the last figures). */
const CARDINALITY_EVERY_MS = 10_000;

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "stats_process_" });
  const registers = [registry];
  // What the pending gauges report at scrape time (the flusher registers itself).
  let pending = () => ({ deltas: 0, events: 0 });
  let flush = () => ({ failing: false, setAsideEvents: 0 });
  let cardinalitySource: (() => Promise<Cardinality>) | undefined;
  let cardinality: { at: number; value: Promise<Cardinality | undefined> } | undefined;
  const readCardinality = (): Promise<Cardinality | undefined> => {
    if (!cardinalitySource) return Promise.resolve(undefined);
    if (!cardinality || Date.now() - cardinality.at > CARDINALITY_EVERY_MS) {
      // A store that is down leaves the gauges empty for this scrape rather than failing it.
      cardinality = { at: Date.now(), value: cardinalitySource().catch(() => undefined) };
    }
    return cardinality.value;
  };
  let storeState = (): { connected: boolean; maxmemoryPolicy: string | undefined } => ({
    connected: false,
    maxmemoryPolicy: undefined,
  });
  return {
    registry,
    received: new Counter({
      name: "stats_events_received_total",
      help: "Messages received from the event bus, valid or not.",
      registers,
    }),
    applied: new Counter({
      name: "stats_events_applied_total",
      help: "Events whose increments Redis (or the memory store) has accepted.",
      registers,
    }),
    dropped: new Counter({
      name: "stats_events_dropped_total",
      help: "Malformed messages dropped, by reason.",
      labelNames: ["reason"] as const,
      registers,
    }),
    ignored: new Counter({
      name: "stats_events_ignored_total",
      help: "Valid events not counted here: a type tracked as neither series nor funnel, or another shard's account.",
      labelNames: ["reason"] as const,
      registers,
    }),
    timeFallbacks: new Counter({
      name: "stats_event_time_fallbacks_total",
      help: "With --time-source event: events bucketed by receive time instead, by reason (missing, unparseable, out_of_range: outside --event-years).",
      labelNames: ["reason"] as const,
      registers,
    }),
    flushSeconds: new Histogram({
      name: "stats_flush_duration_seconds",
      help: "Time to apply one flush to the store, retries included.",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    flushFailures: new Counter({
      name: "stats_flush_failures_total",
      help: "Flush attempts that failed, whatever the reason (see stats_flush_errors_total).",
      registers,
    }),
    flushErrors: new Counter({
      name: "stats_flush_errors_total",
      help: "Failed flush attempts by kind (unreachable, refused: the store refuses every write, rejected: this batch) and Redis error code.",
      labelNames: ["kind", "code"] as const,
      registers,
    }),
    flushFailing: new Gauge({
      name: "stats_flush_failing",
      help: "1 while the last flush attempt failed (until one succeeds), else 0.",
      registers,
      collect() {
        this.set(flush().failing ? 1 : 0);
      },
    }),
    setAsideEvents: new Gauge({
      name: "stats_flush_set_aside_events",
      help: "Events in batches the store rejected, kept aside and retried every 10 s (not yet counted).",
      registers,
      collect() {
        this.set(flush().setAsideEvents);
      },
    }),
    pendingKeys: new Gauge({
      name: "stats_pending_deltas",
      help: "Distinct counters waiting to be flushed (coalesced, in memory).",
      registers,
      collect() {
        this.set(pending().deltas);
      },
    }),
    pendingEvents: new Gauge({
      name: "stats_pending_events",
      help: "Events received but not yet accepted by the store.",
      registers,
      collect() {
        this.set(pending().events);
      },
    }),
    storeUp: new Gauge({
      name: "stats_redis_up",
      help: "1 while the command connection to the store is established (read at scrape time), else 0. Failing writes show in stats_flush_failing.",
      registers,
      collect() {
        this.set(storeState().connected ? 1 : 0);
      },
    }),
    maxmemoryPolicy: new Gauge({
      name: "stats_redis_maxmemory_policy",
      help: "1 for Redis's maxmemory-policy as last read (at connect and every reconnect). Anything but noeviction can evict the exactly-once guards.",
      labelNames: ["policy"] as const,
      registers,
      collect() {
        this.reset();
        const policy = storeState().maxmemoryPolicy;
        if (policy !== undefined) this.set({ policy }, 1);
      },
    }),
    busDisconnects: new Counter({
      name: "stats_bus_disconnects_total",
      help: "ZeroMQ peer connections lost (publisher gone, or silent past the heartbeat timeout).",
      registers,
    }),
    busConnected: new Gauge({
      name: "stats_bus_connections",
      help: "ZeroMQ peers currently connected.",
      registers,
    }),
    accounts: new Gauge({
      name: "stats_accounts",
      help: "Accounts with data (the rollup `all` included), by kind; read from the index at most every 10 s.",
      labelNames: ["kind"] as const,
      registers,
      async collect() {
        const c = await readCardinality();
        this.reset();
        if (c) for (const [kind, n] of Object.entries(c.accounts)) this.set({ kind }, n);
      },
    }),
    eventTypes: new Gauge({
      name: "stats_event_types",
      help: "Event types with data, by kind; read at most every 10 s.",
      labelNames: ["kind"] as const,
      registers,
      async collect() {
        const c = await readCardinality();
        this.reset();
        if (c) for (const [kind, n] of Object.entries(c.events)) this.set({ kind }, n);
      },
    }),
    funnelStatuses: new Gauge({
      name: "stats_funnel_statuses",
      help: "Distinct statuses of each funnel event this year (over every account); read at most every 10 s.",
      labelNames: ["event"] as const,
      registers,
      async collect() {
        const c = await readCardinality();
        this.reset();
        if (c) for (const { event, statuses } of c.statuses) this.set({ event }, statuses);
      },
    }),
    /** Makes the cardinality gauges read the store (through `source`) at most every 10 s. */
    observeCardinality(source: () => Promise<Cardinality>) {
      cardinalitySource = source;
    },
    /** Makes the pending gauges read `source` at every scrape. */
    observePending(source: () => { deltas: number; events: number }) {
      pending = source;
    },
    observeFlush(source: () => { failing: boolean; setAsideEvents: number }) {
      flush = source;
    },
    /** stats_redis_up's one source: the store's connection state, read at every scrape. */
    observeStore(source: () => { connected: boolean; maxmemoryPolicy: string | undefined }) {
      storeState = source;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
