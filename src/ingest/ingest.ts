/** Wires the ingest side together: zmq consumer → pipeline → flusher → store. */
import type { Config } from "../config.js";
import type { StatsStore } from "../domain/types.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { Flusher } from "./flusher.js";
import { createPipeline } from "./pipeline.js";
import { startZmqConsumer, type ZmqConsumer } from "./zmq-consumer.js";

export type IngestConfig = Pick<
  Config,
  | "zmq"
  | "zmqBind"
  | "topics"
  | "trackEvents"
  | "funnelEvents"
  | "timeSource"
  | "eventYears"
  | "shard"
  | "flushIntervalMs"
  | "flushEager"
  | "maxBatch"
  | "heartbeatMs"
  | "heartbeatTtlMs"
  | "zmqHighWaterMark"
>;

export interface Ingest {
  flusher: Flusher;
  consumer: ZmqConsumer;
  /** Stops receiving, then flushes everything pending. Resolves false if the store kept failing. */
  stop(deadlineMs: number): Promise<boolean>;
}

export function startIngest(cfg: IngestConfig, store: StatsStore, metrics: Metrics, log: Logger): Ingest {
  const flusher = new Flusher(
    store,
    { intervalMs: cfg.flushIntervalMs, eager: cfg.flushEager, maxBatch: cfg.maxBatch },
    metrics,
    log,
  );
  const onMessage = createPipeline(
    flusher,
    {
      rules: { trackEvents: new Set(cfg.trackEvents), funnelEvents: new Set(cfg.funnelEvents) },
      timeSource: cfg.timeSource,
      eventYears: cfg.eventYears,
      shard: cfg.shard,
    },
    metrics,
    log,
  );
  flusher.start();
  const consumer = startZmqConsumer(
    {
      endpoints: cfg.zmq,
      bind: cfg.zmqBind,
      topics: cfg.topics,
      heartbeatMs: cfg.heartbeatMs,
      heartbeatTtlMs: cfg.heartbeatTtlMs,
      receiveHighWaterMark: cfg.zmqHighWaterMark,
      onConnections: (n) => metrics.busConnected.set(n),
      onDisconnect: () => metrics.busDisconnects.inc(),
      onReadPause: () => metrics.busReadPauses.inc(),
    },
    onMessage,
    log,
  );
  metrics.observeBusQueue(() => consumer.queued);
  return {
    flusher,
    consumer,
    async stop(deadlineMs) {
      await consumer.close();
      return flusher.stop(deadlineMs);
    },
  };
}
