/**
 * Every Prometheus metric of the service, one registry per service instance (tests run several in
 * one process). Each part of the service has its file under metrics/, named for what it watches;
 * this puts them together. Modules report through these fields; gauges that are a reading of some
 * state (pending work, subscribers, send buffers) are read at scrape time from the source their
 * owner registers with `observe…`.
 */
import {
  AggregatorRegistry,
  collectDefaultMetrics,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from "prom-client";
import { apiMetrics } from "./metrics/api.js";
import { busMetrics } from "./metrics/bus.js";
import { eventsMetrics } from "./metrics/events.js";
import { flushMetrics } from "./metrics/flush.js";
import { memoryMetrics } from "./metrics/memory.js";
import { shardsMetrics } from "./metrics/shards.js";
import { storeMetrics } from "./metrics/store.js";

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
  /** Other registries' metrics (the ingest worker's), added to this one's at every scrape. */
  const merged: Array<() => Promise<MetricObjectWithValues<MetricValue<string>>[]>> = [];
  return {
    registry,
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
    ...eventsMetrics(registers),
    ...flushMetrics(registers),
    ...storeMetrics(registers),
    ...busMetrics(registers),
    ...apiMetrics(registers),
    ...memoryMetrics(registers),
    ...shardsMetrics(registers),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
