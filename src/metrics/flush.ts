/** The flusher: what waits in memory, how flushes go, what Redis rejected. */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export function flushMetrics(registers: Registry[]) {
  // What the pending and flush gauges report at scrape time (the flusher registers itself).
  let pending = () => ({ deltas: 0, events: 0 });
  let flush = () => ({ failing: false, setAsideEvents: 0 });
  return {
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
    /** Makes the pending gauges read `source` at every scrape. */
    observePending(source: () => { deltas: number; events: number }) {
      pending = source;
    },
    observeFlush(source: () => { failing: boolean; setAsideEvents: number }) {
      flush = source;
    },
  };
}
