/**
 * The GraphQL mount on /graphql: queries and SSE subscriptions over HTTP, graphql-ws over
 * WebSocket upgrades, GraphiQL for browsers. Every process mounts it; live updates reach it
 * through the bus whether this process ingests or not.
 */
import { Counter, Gauge } from "prom-client";
import type { Mount } from "../http/app.js";
import { createSendGuard } from "../http/send-guard.js";
import type { LiveFeed } from "../live/feed.js";
import type { ServiceDeps } from "../service-deps.js";
import { admitHttp } from "./transport/admission.js";
import { createQueryCache, DEFAULT_QUERY_CACHE } from "./transport/query-cache.js";
import { createGraphqlWsServer } from "./transport/ws.js";
import { createStatsYoga } from "./yoga.js";

/**
 * `live` is the process's feed (the mount closes it, ending every subscription first).
 * `onFlushed`, when given, means every flush is heard here: answers are then kept until the next.
 */
export function createGraphqlMount(
  deps: ServiceDeps,
  live: LiveFeed,
  onFlushed?: (listener: () => void) => void,
): Mount {
  const limits = deps.config.graphql;
  const registers = [deps.metrics.registry];
  new Gauge({
    name: "stats_graphql_subscriptions",
    help: "GraphQL subscriptions (stats, funnel, increments) open on this process, over SSE and WebSocket.",
    registers,
    collect() {
      this.set(live.subscribers);
    },
  });
  const dropped = new Counter({
    name: "stats_graphql_subscribers_dropped_total",
    help: "Subscriber connections closed because their client stopped reading (reason: stalled or buffer_full).",
    labelNames: ["transport", "reason"] as const,
    registers,
  });
  const guard = createSendGuard({
    maxBufferBytes: limits.maxSendBufferBytes,
    stallTimeoutMs: limits.sendStallTimeoutMs,
    onDrop(transport, reason, bufferedBytes) {
      dropped.inc({ transport, reason });
      deps.log.warn({ transport, reason, bufferedBytes }, "closed a subscriber connection: client not reading");
    },
  });
  new Gauge({
    name: "stats_graphql_send_buffer_bytes",
    help: "Bytes waiting in this process for subscriber connections (WebSocket and SSE) whose clients have not taken them yet.",
    registers,
    collect() {
      this.set(guard.bufferedBytes());
    },
  });
  const resyncs = new Counter({
    name: "stats_live_resyncs_total",
    help: "Times the live bus reconnected and every watched period was read again (updates may have been missed meanwhile).",
    registers,
  });
  live.onResync(() => resyncs.inc());
  const queries = new Counter({
    name: "stats_graphql_queries_total",
    help: "GraphQL queries over HTTP by how they were answered: cache (kept since the last flush), direct (executed through Yoga's envelop without its Fetch round trip), yoga (Yoga's HTTP handler: new documents, errors, other media types).",
    labelNames: ["answered_by"] as const,
    registers,
  });

  const yoga = createStatsYoga({ store: deps.store, live, log: deps.log, limits, guard });
  const ws = createGraphqlWsServer(yoga, limits, guard, deps.log, deps.tokens);
  // Without flush announcements nothing may be kept (maxEntries 0), but queries still take the
  // direct executed path.
  const cache = createQueryCache(yoga, {
    ...DEFAULT_QUERY_CACHE,
    maxEntries: onFlushed ? DEFAULT_QUERY_CACHE.maxEntries : 0,
    maxRequestBytes: limits.maxRequestBytes,
    csrfPrevention: limits.csrfPrevention,
    onAnswered: (by) => queries.inc({ answered_by: by }),
  });
  onFlushed?.(() => cache.invalidate());
  let closing: Promise<void> | undefined;
  return {
    prefix: "/graphql",
    async handle(req, res) {
      // Before the cache: its hits skip Yoga, and an unauthenticated request gets nothing.
      if (!admitHttp(deps.tokens, req, res)) return;
      if (await cache.handle(req, res)) return;
      await yoga.handle(req, res, { req, res });
    },
    upgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head),
    close() {
      // Ends every subscription (clients see them complete), then the sockets. Idempotent.
      closing ??= live
        .close()
        .then(() => ws.close())
        .finally(() => guard.close());
      return closing;
    },
  };
}
