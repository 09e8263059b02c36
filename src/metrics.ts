/**
 * Every Prometheus metric of the service is defined here, one registry per service instance
 * (tests run several in one process). Modules report through these fields; gauges that are a
 * reading of some state (pending work, subscribers, send buffers) are read at scrape time from
 * the source their owner registers with `observe…`.
 */
import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from "prom-client";
import type { Cardinality } from "./domain/types.js";

/** Cardinality is read from the store at most this often (a scrape reads the last figures). */
const CARDINALITY_EVERY_MS = 10_000;

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) {
    // The standard names (process_*, nodejs_*) that Node.js dashboards and alerts look for.
    collectDefaultMetrics({ register: registry });
    // prom-client also exports these unlabelled sums as gauges ending in _total, which breaks
    // Prometheus naming (promtool: "non-counter metrics should not have _total suffix");
    // sum(nodejs_active_handles) etc. give the same number.
    for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"])
      registry.removeSingleMetric(name);
  }
  const registers = [registry];
  // What the pending gauges report at scrape time (the flusher registers itself).
  let pending = () => ({ deltas: 0, events: 0 });
  let busQueued = () => 0;
  let subscriptions = () => 0;
  let sendBuffers = () => 0;
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
  /** Other registries' metrics (the ingest worker's), added to this one's at every scrape. */
  const merged: Array<() => Promise<MetricObjectWithValues<MetricValue<string>>[]>> = [];
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
    busQueued: new Gauge({
      name: "stats_bus_queued_messages",
      help: "Messages read from the event bus, not yet counted (at most --zmq-hwm; at the limit reading pauses and the backlog waits in the publisher).",
      registers,
      collect() {
        this.set(busQueued());
      },
    }),
    busReadPauses: new Counter({
      name: "stats_bus_read_pauses_total",
      help: "Times reading from the event bus paused because --zmq-hwm messages waited to be counted (the backlog then waits in the publisher, which drops past its own high-water mark).",
      registers,
    }),
    busConnected: new Gauge({
      name: "stats_bus_connections",
      help: "ZeroMQ peers currently connected.",
      registers,
    }),
    graphqlSubscriptions: new Gauge({
      name: "stats_graphql_subscriptions",
      help: "GraphQL subscriptions (stats, funnel, increments) open on this process, over SSE and WebSocket.",
      registers,
      collect() {
        this.set(subscriptions());
      },
    }),
    subscribersDropped: new Counter({
      name: "stats_graphql_subscribers_dropped_total",
      help: "Subscriber connections closed because their client stopped reading (reason: stalled or buffer_full).",
      labelNames: ["transport", "reason"] as const,
      registers,
    }),
    sendBufferBytes: new Gauge({
      name: "stats_graphql_send_buffer_bytes",
      help: "Bytes waiting in this process for subscriber connections (WebSocket and SSE) whose clients have not taken them yet.",
      registers,
      collect() {
        this.set(sendBuffers());
      },
    }),
    graphqlQueries: new Counter({
      name: "stats_graphql_queries_total",
      help: "GraphQL queries over HTTP by how they were answered: cache (kept since the last flush), direct (executed through Yoga's envelop without its Fetch round trip), yoga (Yoga's HTTP handler: new documents, errors, other media types).",
      labelNames: ["answered_by"] as const,
      registers,
    }),
    liveResyncs: new Counter({
      name: "stats_live_resyncs_total",
      help: "Times the live bus reconnected and every watched period was read again (updates may have been missed meanwhile).",
      registers,
    }),
    ingestShards: new Gauge({
      name: "stats_ingest_shards",
      help: "Ingest shards 0..n-1 by state in the shard registry: alive (a live process holds it), missing (none does), duplicate (two or more do; also counted alive).",
      labelNames: ["state"] as const,
      registers,
    }),
    ingestShardsExpected: new Gauge({
      name: "stats_ingest_shards_expected",
      help: "n of --shard i/n that the live ingest processes agree on (0: none ever registered).",
      registers,
    }),
    ingestShardsDisagreeing: new Gauge({
      name: "stats_ingest_shards_disagreeing",
      help: "Live ingest processes whose n differs from the expected n (they split the accounts differently).",
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
    /** Makes stats_bus_queued_messages read `source` at every scrape. */
    observeBusQueue(source: () => number) {
      busQueued = source;
    },
    /** Makes stats_graphql_subscriptions read `source` at every scrape. */
    observeSubscriptions(source: () => number) {
      subscriptions = source;
    },
    /** Makes stats_graphql_send_buffer_bytes read `source` at every scrape. */
    observeSendBuffers(source: () => number) {
      sendBuffers = source;
    },
    observeFlush(source: () => { failing: boolean; setAsideEvents: number }) {
      flush = source;
    },
    /** Adds what `source` reads (another thread's registry, as getMetricsAsJSON) to every scrape: samples with the same name and labels are summed. */
    mergeFrom(source: () => Promise<MetricObjectWithValues<MetricValue<string>>[]>) {
      merged.push(source);
    },
    /** The /metrics text: this registry, plus whatever mergeFrom added. */
    async text(): Promise<string> {
      if (merged.length === 0) return registry.metrics();
      const [own, ...others] = await Promise.all([registry.getMetricsAsJSON(), ...merged.map((source) => source())]);
      // Summed whatever aggregator a metric names: each thread reports its own metrics (a default
      // metric's "omit", meant for cluster workers, would drop process_start_time_seconds).
      const summed = own.map((m) => ({ ...m, aggregator: "sum" as const }));
      return AggregatorRegistry.aggregate([summed, ...others]).metrics();
    },
    /** stats_redis_up's one source: the store's connection state, read at every scrape. */
    observeStore(source: () => { connected: boolean; maxmemoryPolicy: string | undefined }) {
      storeState = source;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
