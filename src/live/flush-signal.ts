/**
 * "Something was flushed": a signal for answer caches. Fires for every batch announced on the bus,
 * and when the bus comes back after an outage (announcements may have been missed meanwhile).
 */
import type { Logger } from "../log.js";
import type { LiveBus } from "./pubsub.js";

export interface FlushSignal {
  onFlushed(listener: () => void): void;
  close(): Promise<void>;
}

export function watchFlushes(bus: LiveBus, log: Logger): FlushSignal {
  const listeners: Array<() => void> = [];
  const fire = () => {
    for (const l of listeners) l();
  };
  bus.onReconnect(fire);
  const source = bus.pubsub.subscribe("flushed");
  const listening = (async () => {
    for await (const _batch of source) fire();
  })().catch((err: unknown) => log.error({ err }, "flush signal: bus subscription failed"));
  return {
    onFlushed: (listener) => listeners.push(listener),
    async close() {
      await source.return?.();
      await listening;
    },
  };
}
