/**
 * The Yoga server: the schema, GraphiQL, error masking and the plugins every transport shares.
 * HTTP (queries, and subscriptions over SSE) goes straight through it; graphql-ws goes through
 * its `getEnveloped` (ws.ts), so both run the same envelop plugins and limits.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createYoga, maskError, type YogaServerInstance } from "graphql-yoga";
import { principalOf } from "../auth/request.js";
import type { GraphqlLimits } from "../config.js";
import { renderOfflineGraphiQL } from "../http/graphiql.js";
import type { LiveFeed } from "../live/feed.js";
import type { Logger } from "../log.js";
import type { StatsStore } from "../store/types.js";
import type { GraphqlContext } from "./context.js";
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
}

export function createStatsYoga({ store, live, log, limits, guard }: StatsYogaOptions): StatsYoga {
  return createYoga<ServerContext, GraphqlContext>({
    schema,
    graphqlEndpoint: "/graphql",
    // Both transports hand over the HTTP request (graphql-ws: the upgrade request), on which the
    // mount's door (auth.ts) left the principal; one never let in reads nothing.
    context: ({ req }) => ({ store, live, principal: principalOf(req) }),
    landingPage: false,
    maxRequestBodySize: limits.maxRequestBytes,
    batching: { limit: limits.maxBatch },
    plugins: [...limitPlugins(limits), useSharedSubscriptionExecution(), useFramedSse(guard)],
    // Served from this process, nothing from a CDN (src/http/graphiql.ts); opens on two tabs.
    graphiql: () => graphiqlOptions(new Date()),
    renderGraphiQL: renderOfflineGraphiQL,
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

/** GraphiQL's title and its two first tabs: a `stats` query, and a live subscription to try. */
function graphiqlOptions(now: Date) {
  const year = now.getUTCFullYear();
  return {
    title: "stats-server · GraphQL",
    defaultQuery: defaultQuery(year),
    defaultTabs: [{ query: defaultQuery(year) }, { query: subscriptionExample(now) }],
  };
}

/** The live counterpart: today's hours, sent now and again after every flush. */
export function subscriptionExample(now: Date): string {
  const [y, m, d] = [now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate()];
  return `# Live: press ▶ and keep watching. The current Stats comes first, then a fresh one after
# every flush that changed today's counts (over SSE here; graphql-ws works too).

subscription Today {
  stats(account: "all", event: "pageview", year: ${y}, month: ${m}, day: ${d}) {
    granularity
    total
    segments { key count }
  }
}
`;
}

/** What GraphiQL opens on: a query that works on any server, and the live counterpart in a comment. */
export function defaultQuery(year: number): string {
  return `# stats-server GraphQL. Press ▶ to run; the Docs panel lists every field.
# The "Today" tab holds a live subscription; or try
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
