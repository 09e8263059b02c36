/**
 * The Yoga server: the schema, GraphiQL, error masking and the plugins every transport shares.
 * HTTP (queries, and subscriptions over SSE) goes straight through it; graphql-ws goes through
 * its `getEnveloped` (ws.ts), so both run the same envelop plugins and limits.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createYoga, maskError, type YogaServerInstance } from "graphql-yoga";
import { principalOf } from "../auth/request.js";
import type { GraphqlLimits } from "../config.js";
import type { LiveFeed } from "../live/feed.js";
import type { SeriesFeed } from "../live/series-feed.js";
import type { Logger } from "../log.js";
import type { StatsStore } from "../store/types.js";
import type { GraphqlContext, SeriesContext } from "./context.js";
import { limitPlugins } from "./limits.js";
import { schema } from "./schema/index.js";
import type { SendGuard } from "./send-guard.js";
import { useSharedSubscriptionExecution } from "./shared-execution.js";
import { useFramedSse } from "./sse.js";

export interface ServerContext {
  req: IncomingMessage;
  res: ServerResponse;
}

export type StatsYoga = YogaServerInstance<ServerContext, GraphqlContext>;

export interface StatsYogaOptions {
  store: StatsStore;
  live: LiveFeed;
  log: Logger;
  limits: GraphqlLimits;
  /** Closes SSE subscribers that stop reading. */
  guard: SendGuard;
  series: SeriesContext;
  liveSeries: SeriesFeed;
}

export function createStatsYoga(opts: StatsYogaOptions): StatsYoga {
  const { store, live, log, limits, guard, series, liveSeries } = opts;
  return createYoga<ServerContext, GraphqlContext>({
    schema,
    graphqlEndpoint: "/graphql",
    // Both transports hand over the HTTP request (graphql-ws: the upgrade request), on which the
    // mount's door (auth.ts) left the principal; one never let in reads nothing.
    context: ({ req }) => ({
      store,
      live,
      principal: principalOf(req),
      series,
      liveSeries,
      seriesCost: { spent: undefined },
    }),
    landingPage: false,
    maxRequestBodySize: limits.maxRequestBytes,
    batching: { limit: limits.maxBatch },
    plugins: [...limitPlugins(limits), useSharedSubscriptionExecution(), useFramedSse(guard)],
    graphiql: { title: "stats-server · GraphQL", defaultQuery: defaultQuery(new Date().getUTCFullYear()) },
    logging: {
      debug: (...args) => log.debug({ args }, "yoga"),
      info: (...args) => log.info({ args }, "yoga"),
      warn: (...args) => log.warn({ args }, "yoga"),
      error: (...args) => log.error({ args }, "yoga"),
    },
    maskedErrors: {
      // Never include internals, whatever NODE_ENV says; log what was hidden, with its path.
      maskError(error, message) {
        const masked = maskError(error, message, false);
        if (masked !== error) {
          const original = error instanceof Error && "originalError" in error ? error.originalError : error;
          log.error(
            { err: original, path: (error as { path?: unknown }).path },
            "GraphQL operation failed unexpectedly",
          );
        }
        return masked;
      },
    },
  });
}

/** What GraphiQL opens on: a query that works on any server, and the live counterpart in a comment. */
export function defaultQuery(year: number): string {
  return `# stats-server GraphQL. Press ▶ to run; the Docs panel lists every field.
#
# Live: replace "query" by "subscription" below (without "accounts") to get this
# year's Stats now and again after every flush; or try
#   subscription { increments(account: "all") { account event at count } }

query Overview {
  accounts
  stats(account: "all", event: "pageview", year: ${year}) {
    granularity
    total
    segments { key count }
  }
}
`;
}
