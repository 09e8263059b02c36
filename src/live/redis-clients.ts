/**
 * The live bus's own Redis connections: a publisher and a subscriber, never the command client
 * (a connection in subscribe mode can run nothing else). Like every client here they log errors
 * once per outage and reconnect with a capped backoff.
 *
 * The subscriber queues commands while disconnected (unlike the command client, which fails
 * fast): a SUBSCRIBE issued before Redis is up must take effect once it is, and ioredis then
 * re-subscribes by itself after every reconnect. Promises that @graphql-yoga/redis-event-target
 * (PUBLISH, SUBSCRIBE, UNSUBSCRIBE) and ioredis's own re-subscription drop on the floor are caught
 * and logged here instead of becoming unhandled rejections.
 *
 * Whatever was published while the subscriber was disconnected is lost to it, so once it is
 * back — connected and re-subscribed — `onReconnected` listeners are told (the feed then reads
 * every watched period again).
 */
import { type Cluster, Redis } from "ioredis";
import type { Logger } from "../log.js";
import { createRedisClient } from "../store/redis-connection.js";

type Client = Redis | Cluster;

export interface LiveRedisClients {
  publisher: Client;
  subscriber: Client;
  /** Called after every reconnect of the subscriber, once its subscriptions are in effect again. */
  onReconnected(listener: () => void): void;
  close(): Promise<void>;
}

export function createLiveRedisClients(url: string, cluster: readonly string[], log: Logger): LiveRedisClients {
  const publisher = createRedisClient(url, cluster, log, "live-publisher");
  const reconnected: Array<() => void> = [];
  const subscriber = createSubscriber(url, cluster, log, () => {
    for (const listener of reconnected) listener();
  });
  // QUIT on a client that is not connected would wait in the offline queue for a Redis that may
  // never come back: drop such a connection instead.
  const quit = async (client: Client) => {
    if (client.status !== "ready") return client.disconnect();
    await client.quit().catch(() => client.disconnect());
  };
  return {
    publisher: catchRejections(publisher, ["publish"], reportFailure(log, "live-publisher")),
    subscriber: subscriber.client,
    onReconnected(listener) {
      reconnected.push(listener);
    },
    async close() {
      subscriber.closing();
      await Promise.all([quit(publisher), quit(subscriber.client)]);
    },
  };
}

/** The subscriber connection, and closing(): called before our own QUIT, which is no outage to report. */
function createSubscriber(
  url: string,
  cluster: readonly string[],
  log: Logger,
  onReconnected: () => void,
): { client: Client; closing(): void } {
  const role = "live-subscriber";
  const client = createRedisClient(url, cluster, log, role, { enableOfflineQueue: true, maxRetriesPerRequest: null });
  // ioredis re-issues SUBSCRIBE after every reconnect through these same methods and drops the
  // promise too; closed in that instant (a shutdown right after Redis came back), it would reject
  // unhandled.
  catchRejections(client, ["subscribe", "unsubscribe", "psubscribe", "punsubscribe"], reportFailure(log, role));
  /** Lost after having been ready: the next ready is a reconnect (a server-side kill is a clean close, no error). */
  let lost = false;
  let everReady = false;
  let closing = false;
  client.on("close", () => {
    if (everReady && !lost && !closing)
      log.warn({ role }, "redis connection lost; live updates resume after reconnecting");
    lost = everReady;
  });
  client.on("ready", () => {
    everReady = true;
    if (!lost) return;
    lost = false;
    // ioredis re-subscribes as it becomes ready; a PING on the same connection answers after
    // those SUBSCRIBEs took effect, so nothing published from then on can be missed.
    const settled = client instanceof Redis ? client.ping() : Promise.resolve("");
    settled.then(onReconnected, (err: unknown) =>
      // Lost again before the answer: the next ready tries again.
      log.warn({ err: err instanceof Error ? err.message : String(err), role }, "live bus resync deferred"),
    );
  });
  return {
    client,
    closing() {
      closing = true;
    },
  };
}

/**
 * The same client, its named methods now attaching a rejection handler to what they return. On the
 * client itself, not a wrapper around it, so that ioredis's own calls of them are covered too.
 */
function catchRejections<T extends object>(client: T, methods: readonly string[], onError: (err: unknown) => void): T {
  for (const method of methods) {
    const original = Reflect.get(client, method) as (...args: unknown[]) => unknown;
    Object.defineProperty(client, method, {
      configurable: true,
      value: (...args: unknown[]) => {
        const result = original.apply(client, args);
        if (result instanceof Promise) result.catch(onError);
        return result;
      },
    });
  }
  return client;
}

function reportFailure(log: Logger, role: string): (err: unknown) => void {
  return (err) => log.warn({ err: err instanceof Error ? err.message : String(err), role }, "live bus command failed");
}
