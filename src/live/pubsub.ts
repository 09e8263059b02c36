/**
 * The typed live-update bus. One event, published once per applied batch by the process that
 * flushed it; every API process hears it once (memory: this process; redis: all processes on the
 * same Redis and key prefix) and fans it out to its own subscribers (see feed.ts).
 */
import { setMaxListeners } from "node:events";
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub, type PubSub, type PubSubEvent, type PubSubEventTarget } from "graphql-yoga";
import type { Delta } from "../domain/types.js";
import type { Logger } from "../log.js";
import { createKeySpace } from "../store/keys.js";
import { createLiveRedisClients } from "./redis-clients.js";

/** What a flush changed: the batch's coalesced deltas, as the store accepted them. */
export interface FlushedBatch {
  id: string;
  deltas: Delta[];
}

/** Every event on the bus, typed once; the GraphQL context and the feed derive from it. */
export type LiveEvents = {
  flushed: [FlushedBatch];
};

export interface LiveBus {
  readonly pubsub: PubSub<LiveEvents>;
  readonly kind: "redis" | "memory";
  /**
   * Called when the bus was disconnected and is back: batches published meanwhile were not
   * heard. (Never, for the memory bus.)
   */
  onReconnect(listener: () => void): void;
  close(): Promise<void>;
}

export interface LiveBusConfig {
  pubsub: "redis" | "memory";
  redis: string;
  redisCluster: readonly string[];
  /** Channel names carry the key prefix, so services sharing a Redis but not a key space never hear each other. */
  keyPrefix: string;
}

export function createLiveBus(cfg: LiveBusConfig, log: Logger): LiveBus {
  if (cfg.pubsub === "memory") {
    const target = new EventTarget();
    // One listener per topic per process is all the feed adds, but stay quiet if that ever grows.
    setMaxListeners(0, target);
    return {
      pubsub: createPubSub<LiveEvents>({ eventTarget: target as PubSubEventTarget<LiveEvents> }),
      kind: "memory",
      onReconnect: () => {},
      close: async () => {},
    };
  }
  const clients = createLiveRedisClients(cfg.redis, cfg.redisCluster, log);
  const redisTarget = createRedisEventTarget<PubSubEvent<LiveEvents, "flushed">>({
    publishClient: settled(clients.publisher, ["publish"], log),
    subscribeClient: settled(clients.subscriber, ["subscribe", "unsubscribe"], log),
  });
  return {
    pubsub: createPubSub<LiveEvents>({ eventTarget: renameTopics(redisTarget, createKeySpace(cfg.keyPrefix).channel) }),
    kind: "redis",
    onReconnect: (listener) => clients.onReconnected(listener),
    close: () => clients.close(),
  };
}

/** Renames every topic to its channel on its way to (and from) the underlying target. */
function renameTopics<E extends PubSubEvent<LiveEvents, "flushed">>(
  inner: PubSubEventTarget<LiveEvents>,
  channel: (topic: string) => string,
): PubSubEventTarget<LiveEvents> {
  return {
    addEventListener: (type, callback, options) => inner.addEventListener(channel(type), callback, options),
    removeEventListener: (type, callback, options) => inner.removeEventListener(channel(type), callback, options),
    dispatchEvent: (event: E) =>
      inner.dispatchEvent(new CustomEvent(channel(event.type), { detail: event.detail }) as E),
  };
}

/**
 * The event target calls PUBLISH, SUBSCRIBE and UNSUBSCRIBE and drops their promises; a command
 * that fails (the connection closing at shutdown, Redis down) would then be an unhandled
 * rejection, which ends a Node process. These methods report to the log instead. What a failure
 * means is handled elsewhere: the client resubscribes on reconnect (and the feed re-reads every
 * watched period then), and a flush that could not be announced is caught up by that re-read.
 */
function settled<C extends object>(client: C, methods: readonly string[], log: Logger): C {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop !== "string" || !methods.includes(prop) || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) {
          return result.catch((err: unknown) => {
            log.warn(
              { err: err instanceof Error ? err.message : String(err), command: prop },
              "live bus command failed",
            );
          });
        }
        return result;
      };
    },
  });
}
