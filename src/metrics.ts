/** Prometheus metrics, one registry per service instance (tests run several in one process). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "stats_process_" });
  const registers = [registry];
  // What the pending gauges report at scrape time (the flusher registers itself).
  let pending = () => ({ deltas: 0, events: 0 });
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
    flushSeconds: new Histogram({
      name: "stats_flush_duration_seconds",
      help: "Time to apply one flush to the store, retries included.",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    flushFailures: new Counter({
      name: "stats_flush_failures_total",
      help: "Flush attempts that failed and will be retried.",
      registers,
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
      help: "1 when the store answered its last round trip, else 0.",
      registers,
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
    /** Makes the pending gauges read `source` at every scrape. */
    observePending(source: () => { deltas: number; events: number }) {
      pending = source;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
