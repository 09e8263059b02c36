/**
 * The Yoga server: the schema, GraphiQL, error masking and the plugins every transport shares.
 * HTTP (queries, and subscriptions over SSE) goes straight through it; graphql-ws goes through
 * its `getEnveloped` (ws.ts), so both run the same envelop plugins and limits.
 */
import type { DocumentNode } from "graphql";
import { createYoga, type Plugin, type YogaServerInstance } from "graphql-yoga";
import type { GraphqlLimits } from "../config.js";
import { type CacheStats, createSizedCache as createBytesCache } from "../domain/sized-cache.js";
import type { StatsStore } from "../domain/types.js";
import type { LiveFeed } from "../live/feed.js";
import type { SeriesFeed } from "../live/series-feed.js";
import type { TopFeed } from "../live/top-feed.js";
import type { Logger } from "../log.js";
import { renderOfflineGraphiQL } from "../pages/graphiql.js";
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
  /** The masking (and its log line) every transport shares: transport/result-encoding.ts makes it. */
  results: ErrorMasking;
  /** Given what Yoga's own caches (parsed documents) hold, for /metrics. */
  observeCaches?: (source: () => CacheStats[]) => void;
}

/**
 * What Yoga's parsed documents may hold (docs/limits.md). A document is estimated per character
 * of its source: its AST and validation result take ~80 bytes a character, and the graphql-jit
 * function compiled for a query (kept per DocumentNode too) ~200 more (measured with heap
 * snapshots on a 290-character series query: 22 KB parsed and validated, 80 KB compiled).
 */
const DOCUMENT_CACHE_BYTES = 32 * 1024 * 1024;
const DOCUMENT_BYTES_PER_CHAR = 280;
/** A parse error keeps its message and location, not the source. */
const ERROR_BYTES = 1024;

/** A Yoga parser cache (its get/set shape) bounded by bytes, each entry estimated by `bytesOf` its source. */
function yogaCache<V>(name: string, maxBytes: number, bytesOf: (source: string) => number) {
  const cache = createBytesCache<string, V>(name, maxBytes);
  return {
    get: (key: string) => cache.get(key),
    set: (key: string, value: V) => void cache.set(key, value, bytesOf(key)),
    stats: () => cache.stats(),
  };
}

/** Yoga's `maskedErrors`, and which errors it already logged (Yoga's logger is told of them again). */
export interface ErrorMasking {
  readonly maskedErrors: { errorMessage: string; maskError(error: unknown, message: string): Error };
  logged(error: unknown): boolean;
}

export function createStatsYoga(opts: StatsYogaOptions): StatsYoga {
  const { store, live, log, limits, transportPlugins, series, liveSeries, liveTop, results } = opts;
  const documents = yogaCache<DocumentNode>(
    "documents",
    DOCUMENT_CACHE_BYTES,
    (q) => q.length * DOCUMENT_BYTES_PER_CHAR,
  );
  // A refused document is kept as its error, and its key (the source) is what costs.
  const documentErrors = yogaCache<unknown>(
    "document-errors",
    DOCUMENT_CACHE_BYTES / 8,
    (q) => 16 + q.length + ERROR_BYTES,
  );
  opts.observeCaches?.(() => [documents.stats(), documentErrors.stats()]);
  const yoga = createYoga<ServerContext, GraphqlContext>({
    schema,
    graphqlEndpoint: "/graphql",
    // Both transports hand over who their door (transport/admission.ts) let in.
    context: ({ principal, request, operationOpen }) => ({
      store,
      live,
      principal,
      series,
      liveSeries,
      liveTop,
      seriesCost: { spent: undefined },
      // graphql-ws says when its client completed the operation; over HTTP the request's signal.
      open: () => (operationOpen === undefined || operationOpen()) && request?.signal?.aborted !== true,
    }),
    landingPage: false,
    // CORS is the HTTP server's, for every route alike (src/http/cors.ts); Yoga's would add credentials.
    cors: false,
    maxRequestBodySize: limits.maxRequestBytes,
    // Parsed documents (and, through them, their validation and compiled graphql-jit function:
    // both are kept per DocumentNode in WeakMaps) bounded by bytes, not Yoga's 1,000 entries.
    parserAndValidationCache: { documentCache: documents, errorCache: documentErrors },
    batching: { limit: limits.maxBatch },
    plugins: [
      ...limitPlugins(limits),
      useJitQueries((errors) => log.error({ errors }, "graphql-jit could not compile a query; it runs interpreted")),
      useSharedSubscriptionExecution(),
      ...transportPlugins,
    ],
    // Served from this process, nothing from a CDN (src/pages/graphiql.ts); opens on two tabs.
    graphiql: () => graphiqlOptions(new Date()),
    renderGraphiQL: renderOfflineGraphiQL,
    logging: {
      debug: (...args) => log.debug({ args }, "yoga"),
      info: (...args) => log.info({ args }, "yoga"),
      warn: (...args) => log.warn({ args }, "yoga"),
      // Yoga logs each error its masking changed (and its error handler once more): the masking
      // logged it already, with its path (transport/result-encoding.ts).
      error: (...args) => (args.length === 1 && results.logged(args[0]) ? undefined : log.error({ args }, "yoga")),
    },
    maskedErrors: results.maskedErrors,
  });
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
