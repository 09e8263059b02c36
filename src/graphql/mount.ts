/**
 * The GraphQL mount on /graphql: queries and SSE subscriptions over HTTP, graphql-ws over
 * WebSocket upgrades, GraphiQL for browsers. Every process mounts it; live updates reach it
 * through the bus whether this process ingests or not.
 */
import type { TokenTable } from "../auth/tokens.js";
import type { GraphqlLimits } from "../config.js";
import type { StatsStore } from "../domain/types.js";
import type { Mount } from "../http/app.js";
import { createSendGuard } from "../http/send-guard.js";
import type { LiveFeed } from "../live/feed.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { admitHttp } from "./transport/admission.js";
import { createQueryCache, DEFAULT_QUERY_CACHE } from "./transport/query-cache.js";
import { useFramedSse } from "./transport/sse.js";
import { createGraphqlWsServer } from "./transport/ws.js";
import { createStatsYoga } from "./yoga.js";

export interface GraphqlMountDeps {
  limits: GraphqlLimits;
  store: StatsStore;
  metrics: Metrics;
  log: Logger;
  tokens: TokenTable;
}

/**
 * `live` is the process's feed; its owner (commands/serve.ts) closes it before the mount, so
 * every subscription has ended when the sockets close.
 * `onFlushed`, when given, means every flush is heard here: answers are then kept until the next.
 */
export function createGraphqlMount(
  deps: GraphqlMountDeps,
  live: LiveFeed,
  onFlushed?: (listener: () => void) => void,
): Mount {
  const { limits } = deps;
  const { metrics } = deps;
  metrics.observeSubscriptions(() => live.subscribers);
  const guard = createSendGuard({
    maxBufferBytes: limits.maxSendBufferBytes,
    stallTimeoutMs: limits.sendStallTimeoutMs,
    onDrop(transport, reason, bufferedBytes) {
      metrics.subscribersDropped.inc({ transport, reason });
      deps.log.warn({ transport, reason, bufferedBytes }, "closed a subscriber connection: client not reading");
    },
  });
  metrics.observeSendBuffers(() => guard.bufferedBytes());
  live.onResync(() => metrics.liveResyncs.inc());

  const yoga = createStatsYoga({
    store: deps.store,
    live,
    log: deps.log,
    limits,
    transportPlugins: [useFramedSse(guard)],
  });
  const ws = createGraphqlWsServer(yoga, limits, guard, deps.log, deps.tokens);
  // Without flush announcements nothing may be kept (maxEntries 0), but queries still take the
  // direct executed path.
  const cache = createQueryCache(yoga, {
    ...DEFAULT_QUERY_CACHE,
    maxEntries: onFlushed ? DEFAULT_QUERY_CACHE.maxEntries : 0,
    maxRequestBytes: limits.maxRequestBytes,
    csrfPrevention: limits.csrfPrevention,
    onAnswered: (by) => metrics.graphqlQueries.inc({ answered_by: by }),
  });
  onFlushed?.(() => cache.invalidate());
  let closing: Promise<void> | undefined;
  return {
    prefix: "/graphql",
    async handle(req, res) {
      // Before the cache: its hits skip Yoga, and an unauthenticated request gets nothing.
      const context = admitHttp(deps.tokens, req, res);
      if (!context) return;
      if (await cache.handle(req, res, context)) return;
      await yoga.handle(req, res, context);
    },
    upgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head),
    close() {
      // The sockets (the feed's owner has ended every subscription first). Idempotent.
      closing ??= ws.close().finally(() => guard.close());
      return closing;
    },
  };
}
