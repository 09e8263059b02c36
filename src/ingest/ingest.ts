/**
 * Wires the ingest side together: zmq consumer → pipeline → flusher → store. With a shard lease
 * (fencing, decision 5) the consumer exists only while this process owns its shard: a standby
 * does not subscribe at all, so every event it counts after a take-over was published after it
 * held the lease — none of them can have been counted by the previous owner — and the publisher
 * keeps no queue for it. On losing the lease it unsubscribes and drops what it had not written.
 */
import type { Config } from "../config.js";
import type { StatsStore } from "../domain/types.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { Flusher } from "./flusher.js";
import { createPipeline } from "./pipeline.js";
import type { ShardLease } from "./shard-lease.js";
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
  /** The bus consumer while this process owns its shard; undefined while it is a standby. */
  readonly consumer: ZmqConsumer | undefined;
  /** Resolves once the first lease answer came and, as owner, the consumer is connecting (or bound). */
  readonly ready: Promise<void>;
  /** Stops receiving, then flushes everything pending. Resolves false if the store kept failing. */
  stop(deadlineMs: number): Promise<boolean>;
}

export function startIngest(
  cfg: IngestConfig,
  store: StatsStore,
  metrics: Metrics,
  log: Logger,
  lease?: ShardLease,
): Ingest {
  const fence = lease && {
    current: () => (lease.state() === "owner" ? lease.fence() : undefined),
    confirm: () => lease.confirm(),
  };
  const flusher = new Flusher(
    store,
    { intervalMs: cfg.flushIntervalMs, eager: cfg.flushEager, maxBatch: cfg.maxBatch, ...(fence ? { fence } : {}) },
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
  let consumer: ZmqConsumer | undefined;
  let stopped = false;
  const subscribe = () => {
    consumer = startZmqConsumer(
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
    return consumer.ready;
  };
  const unsubscribe = async () => {
    const c = consumer;
    consumer = undefined;
    await c?.close();
    metrics.busConnected.set(0);
  };
  metrics.observeBusQueue(() => consumer?.queued ?? 0);

  let ready: Promise<void>;
  if (!lease) ready = subscribe();
  else {
    // Lease changes are applied one after another, in order.
    let switching = Promise.resolve();
    const follow = (state: string) => {
      switching = switching
        .catch(() => undefined)
        .then(async () => {
          if (stopped) return;
          if (state === "owner" && !consumer) await subscribe();
          else if (state !== "owner" && consumer) {
            await unsubscribe();
            flusher.discard();
          }
        });
      return switching;
    };
    lease.onChange((state) => void follow(state).catch((err) => log.error({ err }, "could not follow the lease")));
    // A consumer that failed to start (--zmq-bind on an address in use) fails the start.
    ready = lease.firstAnswer.then(() => follow(lease.state())).then(() => consumer?.ready);
  }
  return {
    flusher,
    get consumer() {
      return consumer;
    },
    ready,
    async stop(deadlineMs) {
      stopped = true;
      await unsubscribe();
      return flusher.stop(deadlineMs);
    },
  };
}
