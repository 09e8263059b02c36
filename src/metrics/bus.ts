/** The event bus (ZeroMQ): connections, and what was read but not yet counted. */
import { Counter, Gauge, type Registry } from "prom-client";

export function busMetrics(registers: Registry[]) {
  let busQueued = () => 0;
  return {
    busDisconnects: new Counter({
      name: "stats_bus_disconnects_total",
      help: "ZeroMQ peer connections lost (publisher gone, or silent past the heartbeat timeout).",
      registers,
    }),
    busQueued: new Gauge({
      name: "stats_bus_queued_messages",
      help: "Messages read from the event bus, not yet counted (at most --zmq-hwm; at the limit reading pauses and the backlog waits in the publisher).",
      registers,
      collect() {
        this.set(busQueued());
      },
    }),
    busReadPauses: new Counter({
      name: "stats_bus_read_pauses_total",
      help: "Times reading from the event bus paused because --zmq-hwm messages waited to be counted (the backlog then waits in the publisher, which drops past its own high-water mark).",
      registers,
    }),
    busConnected: new Gauge({
      name: "stats_bus_connections",
      help: "ZeroMQ peers currently connected.",
      registers,
    }),
    /** Makes stats_bus_queued_messages read `source` at every scrape. */
    observeBusQueue(source: () => number) {
      busQueued = source;
    },
  };
}
