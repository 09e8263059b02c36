/** Events as they come off the bus: received, counted, dropped, ignored, and how their time was read. */
import { Counter, type Registry } from "prom-client";

export function eventsMetrics(registers: Registry[]) {
  return {
    received: new Counter({
      name: "stats_events_received_total",
      help: "Messages received from the event bus, valid or not.",
      registers,
    }),
    applied: new Counter({
      name: "stats_events_applied_total",
      help: "Events whose increments Redis (or the memory store) has accepted.",
      registers,
    }),
    dropped: new Counter({
      name: "stats_events_dropped_total",
      help: "Malformed messages dropped, by reason.",
      labelNames: ["reason"] as const,
      registers,
    }),
    ignored: new Counter({
      name: "stats_events_ignored_total",
      help: "Valid events not counted here: a type tracked as neither series nor funnel, or another shard's account.",
      labelNames: ["reason"] as const,
      registers,
    }),
    timeFallbacks: new Counter({
      name: "stats_event_time_fallbacks_total",
      help: "With --time-source event: events bucketed by receive time instead, by reason (missing, unparseable, out_of_range: outside --event-years).",
      labelNames: ["reason"] as const,
      registers,
    }),
  };
}
