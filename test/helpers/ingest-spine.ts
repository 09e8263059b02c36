/**
 * The ingest side of the service (ZeroMQ consumer → pipeline → flusher → Redis store) assembled
 * from the same modules and the same Redis client options as `startService`, with one knob the
 * service does not expose: the delay before the Redis client reconnects. The service waits
 * 100 ms; a test that breaks the connection a thousand times uses a shorter one so that it
 * finishes in seconds. Everything else (command timeout, retries per request, resend of
 * unanswered commands, the flusher's batch retry) is the production path.
 */
import { Redis } from "ioredis";
import { startIngest } from "../../src/ingest/ingest.js";
import { createLogger } from "../../src/log.js";
import { createMetrics, type Metrics } from "../../src/metrics.js";
import { createKeySpace } from "../../src/store/keys.js";
import { createRedisBackend } from "../../src/store/redis-backend.js";
import { redisClientOptions } from "../../src/store/redis-connection.js";
import { createStatsStore } from "../../src/store/stats-store.js";
import { metricValue, testConfig, wiring } from "./service.js";

export interface IngestSpine {
  metrics: Metrics;
  /** One sample of the spine's metrics, as /metrics would show it. */
  metric(name: string): Promise<number>;
  /** Stops receiving, flushes what is pending, closes Redis. */
  stop(): Promise<boolean>;
}

export async function startIngestSpine(opts: {
  redisUrl: string;
  zmq: string;
  prefix: string;
  reconnectMs: number;
  flags?: string[];
}): Promise<IngestSpine> {
  const config = testConfig([...wiring(opts.redisUrl, opts.zmq, opts.prefix), ...(opts.flags ?? [])]);
  const log = createLogger(config.logLevel);
  const client = new Redis(opts.redisUrl, { ...redisClientOptions("commands"), retryStrategy: () => opts.reconnectMs });
  client.on("error", () => {});
  const store = createStatsStore(createRedisBackend(client), createKeySpace(opts.prefix), {
    minuteRetentionSeconds: config.minuteRetentionSeconds,
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const ingest = startIngest(config, store, metrics, log);
  await ingest.ready;
  return {
    metrics,
    metric: async (name) => metricValue(await metrics.registry.metrics(), name),
    async stop() {
      const flushed = await ingest.stop(config.shutdownTimeoutMs);
      await store.close();
      return flushed;
    },
  };
}
