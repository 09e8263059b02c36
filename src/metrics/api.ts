/** The API side: GraphQL queries and subscriptions, slow subscribers, the live bus. */
import { Counter, Gauge, type Registry } from "prom-client";

export function apiMetrics(registers: Registry[]) {
  let subscriptions = () => 0;
  let sendBuffers = () => 0;
  return {
    graphqlSubscriptions: new Gauge({
      name: "stats_graphql_subscriptions",
      help: "GraphQL subscriptions (stats, funnel, increments) open on this process, over SSE and WebSocket.",
      registers,
      collect() {
        this.set(subscriptions());
      },
    }),
    subscribersDropped: new Counter({
      name: "stats_graphql_subscribers_dropped_total",
      help: "Subscriber connections closed by the server because their client stopped reading (reason: stalled or buffer_full) or answered no ping (ping_timeout).",
      labelNames: ["transport", "reason"] as const,
      registers,
    }),
    sendBufferBytes: new Gauge({
      name: "stats_graphql_send_buffer_bytes",
      help: "Bytes waiting in this process for subscriber connections (WebSocket and SSE) whose clients have not taken them yet.",
      registers,
      collect() {
        this.set(sendBuffers());
      },
    }),
    operationsRefused: new Counter({
      name: "stats_graphql_operations_refused_total",
      help: "GraphQL operations refused before they ran: rate_limited (a connection or address starting more than --max-operation-rate); refusals at --max-memory are stats_memory_refusals_total.",
      labelNames: ["transport", "reason"] as const,
      registers,
    }),
    graphqlQueries: new Counter({
      name: "stats_graphql_queries_total",
      help: "GraphQL queries over HTTP by how they were answered: cache (kept since the last flush), direct (executed through Yoga's envelop without its Fetch round trip), yoga (Yoga's HTTP handler: new documents, errors, other media types).",
      labelNames: ["answered_by"] as const,
      registers,
    }),
    liveResyncs: new Counter({
      name: "stats_live_resyncs_total",
      help: "Times the live bus reconnected and every watched period was read again (updates may have been missed meanwhile).",
      registers,
    }),
    /** Makes stats_graphql_subscriptions read `source` at every scrape. */
    observeSubscriptions(source: () => number) {
      subscriptions = source;
    },
    /** Makes stats_graphql_send_buffer_bytes read `source` at every scrape. */
    observeSendBuffers(source: () => number) {
      sendBuffers = source;
    },
  };
}
