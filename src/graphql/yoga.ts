/**
 * The Yoga server: the schema, GraphiQL, error masking and the plugins every transport shares.
 * HTTP (queries, and subscriptions over SSE) goes straight through it; graphql-ws goes through
 * its `getEnveloped` (ws.ts), so both run the same envelop plugins and limits.
 */
import { createYoga, maskError, type Plugin, type YogaServerInstance } from "graphql-yoga";
import type { GraphqlLimits } from "../config.js";
import type { StatsStore } from "../domain/types.js";
import type { LiveFeed } from "../live/feed.js";
import type { Logger } from "../log.js";
import type { GraphqlContext, ServerContext } from "./context.js";
import { useJitQueries } from "./plugins/use-jit-queries.js";
import { limitPlugins } from "./plugins/use-limits.js";
import { useSharedSubscriptionExecution } from "./plugins/use-shared-execution.js";
import { schema } from "./schema/index.js";

export type StatsYoga = YogaServerInstance<ServerContext, GraphqlContext>;

export interface StatsYogaOptions {
  store: StatsStore;
  live: LiveFeed;
  log: Logger;
  limits: GraphqlLimits;
  /** The transports' own plugins (SSE framing), after the shared ones. */
  transportPlugins: Plugin[];
}

export function createStatsYoga({ store, live, log, limits, transportPlugins }: StatsYogaOptions): StatsYoga {
  return createYoga<ServerContext, GraphqlContext>({
    schema,
    graphqlEndpoint: "/graphql",
    // Both transports hand over who their door (transport/admission.ts) let in.
    context: ({ principal }) => ({ store, live, principal }),
    landingPage: false,
    // CORS is the HTTP server's, for every route alike (src/http/cors.ts); Yoga's would add credentials.
    cors: false,
    maxRequestBodySize: limits.maxRequestBytes,
    batching: { limit: limits.maxBatch },
    plugins: [
      ...limitPlugins(limits),
      useJitQueries((errors) => log.error({ errors }, "graphql-jit could not compile a query; it runs interpreted")),
      useSharedSubscriptionExecution(),
      ...transportPlugins,
    ],
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
