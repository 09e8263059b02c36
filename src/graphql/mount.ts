/**
 * The GraphQL mount on /graphql: queries and SSE subscriptions over HTTP, graphql-ws over
 * WebSocket upgrades, GraphiQL for browsers. Every process mounts it; live updates reach it
 * through the bus whether this process ingests or not.
 */
import type { TokenTable } from "../auth/tokens.js";
import type { GraphqlLimits } from "../config.js";
import type { StatsStore } from "../domain/types.js";
import { zoneCacheStats } from "../domain/zone.js";
import type { Mount } from "../http/app.js";
import type { MemoryBudget } from "../http/memory-budget.js";
import { createSendGuard } from "../http/send-guard.js";
import type { LiveFeed } from "../live/feed.js";
import { createSeriesFeed } from "../live/series-feed.js";
import { createTopFeed } from "../live/top-feed.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { createPlanCache } from "../read/series-read.js";
import { admitHttp, admitOperation } from "./transport/admission.js";
import { createChurnLimit } from "./transport/churn-limit.js";
import { createGraphqlHttpFront, DEFAULT_HTTP_FRONT } from "./transport/http-front.js";
import { createResultEncoder } from "./transport/result-encoding.js";
import { createSseShutdown, useFramedSse } from "./transport/sse.js";
import { refuseSseSingleConnection } from "./transport/sse-single-connection.js";
import { createGraphqlWsServer } from "./transport/ws.js";
import { createStatsYoga } from "./yoga.js";

export interface GraphqlMountDeps {
  limits: GraphqlLimits;
  store: StatsStore;
  metrics: Metrics;
  log: Logger;
  tokens: TokenTable;
  /** How far back minute data reaches (--minute-retention): series needing older minutes are refused. */
  minuteRetentionSeconds: number;
  /**
   * The process's memory budget (--max-memory), shared with the REST mount: planning a window and
   * a new live subscription are refused at it. Its owner (commands/serve.ts) counts and logs refusals.
   */
  memory: MemoryBudget;
}

/** Windows and plans kept between requests (docs/limits.md): a 720-hour half-hour-zone plan is ~150 KB. */
const PLAN_CACHE_BYTES = 32 * 1024 * 1024;

/** At shutdown, how long SSE responses get to end cleanly (they need one write each). */
const SSE_END_GRACE_MS = 1_000;

/**
 * `live` is the process's feed. Its owner (commands/serve.ts) closes it too, after the server;
 * the mount ends it first at shutdown, in the order that makes clients reconnect (close()).
 * `onFlushed`, when given, means every flush is heard here: answers are then kept until the next.
 */
export function createGraphqlMount(
  deps: GraphqlMountDeps,
  live: LiveFeed,
  onFlushed?: (listener: () => void) => void,
): Mount {
  const { limits } = deps;
  const { metrics } = deps;
  metrics.observeSubscriptions(() => live.subscribers + liveSeries.subscribers + liveTop.subscribers);
  const guard = createSendGuard({
    maxBufferBytes: limits.maxSendBufferBytes,
    stallTimeoutMs: limits.sendStallTimeoutMs,
    onDrop(transport, reason, bufferedBytes) {
      metrics.subscribersDropped.inc({ transport, reason });
      deps.log.warn(
        { transport, reason, bufferedBytes },
        reason === "ping_timeout"
          ? "closed a subscriber connection: client answered no ping"
          : "closed a subscriber connection: client not reading",
      );
    },
  });
  metrics.observeSendBuffers(() => guard.bufferedBytes());
  live.onResync(() => metrics.liveResyncs.inc());

  const { memory } = deps;
  const plans = createPlanCache(PLAN_CACHE_BYTES);
  metrics.observeCaches(() => [plans.stats(), ...zoneCacheStats(), ...front.stats()]);
  const series = {
    now: Date.now,
    maxPoints: limits.maxSeriesPoints,
    maxCost: limits.maxCost,
    minuteRetentionMs: deps.minuteRetentionSeconds * 1000,
    plans,
    memory,
  };
  const liveSeries = createSeriesFeed(live, deps.store, deps.log, {
    ...series,
    admitWatch: () => memory.admit("live_subscription", "a new live window"),
  });
  // The burst: every slot of a connection filled, and each replaced once, at once.
  const churn = createChurnLimit(limits.maxOperationRate, 2 * limits.maxWsOperations, (transport) =>
    metrics.operationsRefused.inc({ transport, reason: "rate_limited" }),
  );
  const liveTop = createTopFeed(live, deps.store, deps.log, series);
  const sseShutdown = createSseShutdown();
  // What a client is shown of a result, and the one log line per fault: the same for every transport.
  const results = createResultEncoder(deps.log);
  const yoga = createStatsYoga({
    store: deps.store,
    live,
    log: deps.log,
    limits,
    transportPlugins: [useFramedSse(guard, results, sseShutdown, (op) => admitOperation(limits, op))],
    series,
    liveSeries,
    observeCaches: (source) => metrics.observeCaches(source),
    liveTop,
    results,
  });
  const ws = createGraphqlWsServer(yoga, limits, guard, deps.log, deps.tokens, results, churn);
  // Without flush announcements nothing may be kept (maxEntries 0), but known queries still take
  // the fast road.
  const answered = {
    cache: metrics.graphqlQueries.labels({ answered_by: "cache" }),
    direct: metrics.graphqlQueries.labels({ answered_by: "direct" }),
    yoga: metrics.graphqlQueries.labels({ answered_by: "yoga" }),
  };
  const front = createGraphqlHttpFront(yoga, results, {
    ...DEFAULT_HTTP_FRONT,
    maxEntries: onFlushed ? DEFAULT_HTTP_FRONT.maxEntries : 0,
    maxRequestBytes: limits.maxRequestBytes,
    csrfPrevention: limits.csrfPrevention,
    // One child per label value, bound once: no label hashing per request.
    onAnswered: (by) => answered[by].inc(),
  });
  onFlushed?.(() => front.invalidate());
  let closing: Promise<void> | undefined;
  return {
    prefix: "/graphql",
    async handle(req, res) {
      if (refuseSseSingleConnection(req, res)) return;
      // Before the front: its cache hits skip Yoga, and an unauthenticated request gets nothing.
      const context = admitHttp(deps.tokens, req, res);
      if (!context) return;
      if (churn.refuseSse(req, res)) return;
      await front.handle(req, res, context);
    },
    upgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head),
    close() {
      // A shutdown, not the end of the subscriptions: clients must reconnect (to the next process)
      // and subscribe again. So WebSockets close first, with 1001 "Going away" and no `complete`;
      // then ending the feeds ends the SSE streams, also without `complete` (sse.ts), and their
      // responses are given a moment to end cleanly before the server drops connections. Idempotent.
      if (!closing) sseShutdown.begin();
      closing ??= ws
        .close()
        .then(() => Promise.all([liveSeries.close(), liveTop.close()]))
        .then(() => live.close())
        .then(() => sseShutdown.ended(SSE_END_GRACE_MS))
        .finally(() => guard.close());
      return closing;
    },
  };
}
