/**
 * The Yoga server: the schema, GraphiQL, error masking and the plugins every transport shares.
 * HTTP (queries, and subscriptions over SSE) goes straight through it; graphql-ws goes through
 * its `getEnveloped` (ws.ts), so both run the same envelop plugins and limits.
 */
import { type ExecutionResult, GraphQLError } from "graphql";
import { createYoga, maskError, type Plugin, type YogaServerInstance } from "graphql-yoga";
import type { GraphqlLimits } from "../config.js";
import type { StatsStore } from "../domain/types.js";
import { renderOfflineGraphiQL } from "../http/graphiql.js";
import { FellBehind } from "../live/channel.js";
import type { LiveFeed } from "../live/feed.js";
import type { SeriesFeed } from "../live/series-feed.js";
import type { TopFeed } from "../live/top-feed.js";
import type { Logger } from "../log.js";
import type { GraphqlContext, SeriesContext, ServerContext } from "./context.js";
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
  series: SeriesContext;
  liveSeries: SeriesFeed;
  liveTop: TopFeed;
}

/** Yoga's message for a masked error (its default, which we keep). */
const MASKED_MESSAGE = "Unexpected error.";

const maskers = new WeakMap<object, (result: ExecutionResult) => ExecutionResult>();

/**
 * What this server's error masking makes of a result, as envelop's masking applies it to every
 * subscription result: for a transport that writes results without that map (see
 * plugins/use-shared-execution.ts). The same `maskError`, the same message; masking a masked
 * result changes nothing.
 */
export function resultMasker(yoga: object): (result: ExecutionResult) => ExecutionResult {
  const masker = maskers.get(yoga);
  if (!masker) throw new Error("not a Yoga made by createStatsYoga");
  return masker;
}

export function createStatsYoga(opts: StatsYogaOptions): StatsYoga {
  const { store, live, log, limits, transportPlugins, series, liveSeries, liveTop } = opts;
  const maskedErrors = {
    errorMessage: MASKED_MESSAGE,
    // Never include internals, whatever NODE_ENV says; log what was hidden, with its path.
    maskError(error: unknown, message: string) {
      // A subscriber too slow to follow is told so (it is not a fault of the server's).
      const cause = error instanceof GraphQLError ? error.originalError : error;
      if (cause instanceof FellBehind) {
        return new GraphQLError(cause.message, { extensions: { code: "SUBSCRIBER_TOO_SLOW" } });
      }
      const masked = maskError(error, message, false);
      if (masked !== error) {
        const original = error instanceof Error && "originalError" in error ? error.originalError : error;
        log.error({ err: original, path: (error as { path?: unknown }).path }, "GraphQL operation failed unexpectedly");
      }
      return masked;
    },
  };
  const maskResult = (result: ExecutionResult): ExecutionResult =>
    result.errors?.length
      ? { ...result, errors: result.errors.map((e) => maskedErrors.maskError(e, MASKED_MESSAGE) as GraphQLError) }
      : result;
  const yoga = createYoga<ServerContext, GraphqlContext>({
    schema,
    graphqlEndpoint: "/graphql",
    // Both transports hand over who their door (transport/admission.ts) let in.
    context: ({ principal }) => ({
      store,
      live,
      principal,
      series,
      liveSeries,
      liveTop,
      seriesCost: { spent: undefined },
    }),
    landingPage: false,
    // CORS is the HTTP server's, for every route alike (src/http/cors.ts); Yoga's would add credentials.
    cors: false,
    maxRequestBodySize: limits.maxRequestBytes,
    batching: { limit: limits.maxBatch },
    plugins: [
      ...limitPlugins(limits),
      useJitQueries((errors) => log.error({ errors }, "graphql-jit could not compile a query; it runs interpreted")),
      useSharedSubscriptionExecution(),
      // Plugins are handed the server inside the adapter createYoga returns: known by both, and before
      // the transports' plugins, which look their masking up at their own init.
      { onYogaInit: ({ yoga: server }) => void maskers.set(server, maskResult) },
      ...transportPlugins,
    ],
    // Served from this process, nothing from a CDN (src/http/graphiql.ts); opens on two tabs.
    graphiql: () => graphiqlOptions(new Date()),
    renderGraphiQL: renderOfflineGraphiQL,
    logging: {
      debug: (...args) => log.debug({ args }, "yoga"),
      info: (...args) => log.info({ args }, "yoga"),
      warn: (...args) => log.warn({ args }, "yoga"),
      error: (...args) =>
        // Yoga logs each error its masking changed; a subscriber too slow to follow is not a fault.
        args[0] instanceof FellBehind
          ? log.warn({ limit: args[0].limit }, "an increments subscriber fell behind; its subscription ended")
          : log.error({ args }, "yoga"),
    },
    maskedErrors,
  });
  maskers.set(yoga, maskResult);
  return yoga;
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
