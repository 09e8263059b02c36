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
  // The clients already catch and log what their PUBLISH, SUBSCRIBE and UNSUBSCRIBE reject with
  // (the event target drops those promises): see redis-clients.ts.
  const redisTarget = createRedisEventTarget<PubSubEvent<LiveEvents, "flushed">>({
    publishClient: clients.publisher,
    subscribeClient: clients.subscriber,
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
