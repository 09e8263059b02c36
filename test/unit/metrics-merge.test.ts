/**
 * /metrics of a process whose ingest runs in a worker thread: the worker's registry is added to
 * the main thread's at every scrape (metrics.mergeFrom). Samples of one name and labels are
 * summed; a metric only one thread reports is reported as it is, prom-client's default metrics
 * included (process_start_time_seconds names the "omit" aggregator, meant for cluster workers).
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { createMetrics } from "../../src/metrics.js";
import { metricValue } from "../helpers/service.js";

it("adds a worker's metrics to the main thread's, keeping what only one of them reports", async () => {
  const main = createMetrics();
  const worker = createMetrics({ defaultMetrics: false });
  worker.received.inc(120);
  worker.dropped.inc({ reason: "bad_json" }, 3);
  worker.flushSeconds.observe(0.004);
  worker.observePending(() => ({ deltas: 7, events: 9 }));
  main.subscribersDropped.inc({ transport: "ws", reason: "stalled" });
  main.mergeFrom(() => worker.registry.getMetricsAsJSON());

  const text = await main.text();
  assert.equal(metricValue(text, "stats_events_received_total"), 120);
  assert.equal(metricValue(text, 'stats_events_dropped_total{reason="bad_json"}'), 3);
  assert.equal(metricValue(text, "stats_pending_events"), 9);
  assert.equal(metricValue(text, "stats_flush_duration_seconds_count"), 1);
  assert.equal(metricValue(text, 'stats_flush_duration_seconds_bucket{le="0.005"}'), 1);
  assert.equal(metricValue(text, 'stats_graphql_subscribers_dropped_total{transport="ws",reason="stalled"}'), 1);
  assert.ok(metricValue(text, "process_start_time_seconds") > 0, "the main thread's default metrics");
  assert.equal(text.match(/^# TYPE stats_events_received_total /gm)?.length, 1, "one family per name");
});
