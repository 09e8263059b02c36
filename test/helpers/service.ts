/** Starts the whole service in-process on free ports, configured as a user would with flags. */

import { type Service, startService } from "../../src/commands/serve.js";
import { type Config, parseConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { startRedis, type TestRedis } from "./redis.js";
import { startPublisher, type TestPublisher } from "./zmq.js";

/** A Config from flags, with test-friendly defaults: port 0, quiet logs, a short flush interval. */
export function testConfig(flags: string[] = []): Config {
  const parsed = parseConfig(
    [
      "--http",
      "127.0.0.1:0",
      "--log-level",
      process.env["TEST_LOG_LEVEL"] ?? "silent",
      "--flush-interval",
      "20ms",
      ...flags,
    ],
    {},
  );
  if (parsed === "help") throw new Error("unexpected --help");
  return parsed;
}

export async function startTestService(flags: string[] = []): Promise<Service> {
  const config = testConfig(flags);
  return startService(config, createLogger(config.logLevel), { defaultMetrics: false });
}

/** Reads one sample from /metrics text: e.g. metric(text, 'stats_events_dropped_total{reason="bad_json"}'). */
export function metricValue(text: string, name: string): number {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
  }
  return 0;
}

/** The flags that point a service at a test's Redis, publisher and key prefix. */
export function wiring(redisUrl: string, zmqEndpoint: string, prefix: string): string[] {
  return ["--redis", redisUrl, "--zmq", zmqEndpoint, "--key-prefix", prefix];
}

/** A private redis-server, a publisher, and the service in-process wired to both (unique key prefix). */
export interface ServiceRig {
  redis: TestRedis;
  pub: TestPublisher;
  service: Service;
  prefix: string;
  /** Stops the service, closes the publisher, stops Redis. */
  stop(): Promise<void>;
}

/**
 * The in-process twin of startProcessRig (helpers/ingest.ts): `flags` come after the wiring;
 * `redisOptions` are startRedis's (e.g. extra redis-server options).
 * Resolves once the service has subscribed; what started is stopped again if a later step fails.
 */
export async function startServiceRig(
  flags: string[] = [],
  redisOptions: Parameters<typeof startRedis>[0] = {},
): Promise<ServiceRig> {
  const redis = await startRedis(redisOptions);
  const pub = await startPublisher().catch(async (err: unknown) => {
    await redis.stop();
    throw err;
  });
  const prefix = redis.prefix();
  let service: Service | undefined;
  const stop = async () => {
    await service?.stop();
    pub.close();
    await redis.stop();
  };
  try {
    service = await startTestService([...wiring(redis.url, pub.endpoint, prefix), ...flags]);
    await pub.waitForSubscribers();
    return { redis, pub, service, prefix, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
