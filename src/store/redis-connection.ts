/**
 * Every Redis connection of the process is made here: the store's command client and the live
 * bus's publisher and subscriber (a connection in subscribe mode can run nothing else). Each
 * gets a name (CLIENT LIST shows its role), an error listener that logs once per outage, and a
 * capped reconnect backoff; by default it fails fast while disconnected.
 */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Logger } from "../log.js";

/** Connection options shared by every client: fail fast while disconnected, reconnect with a cap. */
export function redisClientOptions(role: string): RedisOptions {
  return {
    connectionName: `stats-server:${role}`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 10_000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    // After a failover behind a stable address (or REPLICAOF on our server) the old connection
    // reaches a replica: every write fails READONLY until we reconnect and reach the new primary.
    // 1 = reconnect, without resending (the flusher retries the batch, same id, same guards).
    reconnectOnError: (err) => (err.message.startsWith("READONLY") ? 1 : false),
  };
}

export function createRedisClient(
  url: string,
  cluster: readonly string[],
  log: Logger,
  role: string,
  overrides: Partial<RedisOptions> = {},
): Redis | Cluster {
  const options: RedisOptions = { ...redisClientOptions(role), ...overrides };
  const client = cluster.length
    ? new Cluster(
        cluster.map((n) => {
          const [host, port] = n.split(":");
          return { host: host as string, port: Number(port) };
        }),
        {
          redisOptions: options,
          enableOfflineQueue: options.enableOfflineQueue ?? false,
          clusterRetryStrategy: options.retryStrategy as (n: number) => number,
        },
      )
    : new Redis(url, options);
  let down = false;
  client.on("error", (err: Error) => {
    if (!down) log.error({ err: err.message, role }, "redis connection error; retrying");
    down = true;
  });
  client.on("ready", () => {
    if (down) log.info({ role }, "redis connection back");
    down = false;
  });
  return client;
}
