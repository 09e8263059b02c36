/**
 * The GraphQL mount on /graphql: queries and SSE subscriptions over HTTP, graphql-ws over
 * WebSocket upgrades, GraphiQL for browsers. Every process mounts it; live updates reach it
 * through the bus whether this process ingests or not.
 */
import { Counter, Gauge } from "prom-client";
import type { Mount } from "../app.js";
import type { LiveFeed } from "../live/feed.js";
import { createSeriesFeed } from "../live/series-feed.js";
import type { ServiceDeps } from "../service-deps.js";
import { admitHttp } from "./auth.js";
import { createQueryCache, DEFAULT_QUERY_CACHE } from "./query-cache.js";
import { createSendGuard } from "./send-guard.js";
import { createGraphqlWsServer } from "./ws.js";
import { createStatsYoga } from "./yoga.js";

/**
 * `live` is the process's feed (the mount closes it, ending every subscription first).
 * `onFlushed`, when given, means every flush is heard here: answers are then cached until the next.
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
      this.set(live.subscribers + liveSeries.subscribers);
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

  const series = {
    now: Date.now,
    maxPoints: limits.maxSeriesPoints,
    maxCost: limits.maxCost,
    minuteRetentionMs: deps.config.minuteRetentionSeconds * 1000,
  };
  const liveSeries = createSeriesFeed(live, deps.store, deps.log, series);
  const yoga = createStatsYoga({ store: deps.store, live, log: deps.log, limits, guard, series, liveSeries });
  const ws = createGraphqlWsServer(yoga, limits, guard, deps.log, deps.tokens);
  const cache = onFlushed
    ? createQueryCache(yoga, {
        ...DEFAULT_QUERY_CACHE,
        maxRequestBytes: limits.maxRequestBytes,
        csrfPrevention: limits.csrfPrevention,
      })
    : undefined;
  if (cache) onFlushed?.(() => cache.invalidate());
  let closing: Promise<void> | undefined;
  return {
    prefix: "/graphql",
    async handle(req, res) {
      // Before the cache: its hits skip Yoga, and an unauthenticated request gets nothing.
      if (!admitHttp(deps.tokens, req, res)) return;
      if (cache && (await cache.handle(req, res))) return;
      await yoga.handle(req, res, { req, res });
    },
    upgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head),
    close() {
      // Ends every subscription (clients see them complete), then the sockets. Idempotent.
      closing ??= liveSeries
        .close()
        .then(() => live.close())
        .then(() => ws.close())
        .finally(() => guard.close());
      return closing;
    },
  };
}
