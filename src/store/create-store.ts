/**
 * Builds the configured store. Redis never silently falls back to memory: an unreachable Redis
 * is retried (capped backoff) and reported by /readyz, not replaced.
 */
import type { StatsStore } from "../domain/types.js";
import type { Logger } from "../log.js";
import { createKeySpace } from "./keys.js";
import { watchMaxmemoryPolicy } from "./maxmemory-policy.js";
import { createMemoryBackend } from "./memory-backend.js";
import { createRedisBackend } from "./redis-backend.js";
import { createRedisClient } from "./redis-connection.js";
import { watchRedisVersion } from "./redis-version.js";
import { createStatsStore } from "./stats-store.js";

export interface StoreConfig {
  store: "redis" | "memory";
  redis: string;
  redisCluster: readonly string[];
  keyPrefix: string;
  minuteRetentionSeconds: number;
}

export function createStore(cfg: StoreConfig, log: Logger): StatsStore {
  const keys = createKeySpace(cfg.keyPrefix);
  const opts = { minuteRetentionSeconds: cfg.minuteRetentionSeconds };
  if (cfg.store === "memory") {
    log.warn("STORE IS IN MEMORY (--store memory): nothing is persisted; every count is lost when the process exits");
    return createStatsStore(createMemoryBackend(), keys, opts);
  }
  const client = createRedisClient(cfg.redis, cfg.redisCluster, log, "commands");
  watchRedisVersion(client, log);
  return createStatsStore(createRedisBackend(client, watchMaxmemoryPolicy(client, log)), keys, opts);
}

/** Pings until the store answers or the time is up (the first connect takes a moment). */
export async function waitForStore(ping: () => Promise<void>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await ping();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
