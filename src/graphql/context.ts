import type { IncomingMessage, ServerResponse } from "node:http";
import type { ExecutionResult } from "graphql";
import type { Principal } from "../auth/tokens.js";
import type { StatsStore } from "../domain/types.js";
import type { MemoryBudget } from "../http/memory-budget.js";
import type { MappedChannel } from "../live/channel.js";
import type { LiveFeed } from "../live/feed.js";
import type { SeriesFeed } from "../live/series-feed.js";
import type { TopFeed } from "../live/top-feed.js";
import type { PlanCache } from "../read/series-read.js";

/** What every resolver gets: the store for queries, the live feed (fed by the typed bus) for subscriptions. */
export interface GraphqlContext {
  store: StatsStore;
  live: LiveFeed;
  /** Whose API token the operation came with: the accounts it may read (all, when tokens are off). */
  principal: Principal;
  /** Time windows (docs/contract.md §7): the clock, and what limits a window. */
  series: SeriesContext;
  /** Live time windows (series / funnelSeries subscriptions). */
  liveSeries: SeriesFeed;
  /** Live rankings (the top subscription). */
  liveTop: TopFeed;
  /** What this operation's series fields have charged against --max-query-cost. */
  seriesCost: CostMeter;
  /**
   * False once the client no longer wants the operation (a graphql-ws `complete`, a closed SSE
   * request): costly work not yet started is then skipped.
   */
  open(): boolean;
  /**
   * A live subscription's results, to be taken by callback and written straight to the socket
   * (decision 2): set by the shared execution plugin (plugins/use-shared-execution.ts) when the
   * operation subscribes; the transport that writes them takes them (and sets this back to
   * undefined), and must still end the operation's iterator. Absent on queries.
   */
  liveResults?: LiveResults | undefined;
}

/** The results of one live subscription, read by callback (see Channel.take). */
export type LiveResults = Pick<MappedChannel<ExecutionResult>, "take">;

export interface SeriesContext {
  now: () => number;
  maxPoints: number;
  /** --max-query-cost, which series points count against. */
  maxCost: number;
  /** How long minute counts are kept (ms). */
  minuteRetentionMs: number;
  /** Windows and plans kept between requests (bounded by bytes). */
  plans: PlanCache;
  /** The process's memory budget (--max-memory): planning a window is refused past it. */
  memory: MemoryBudget;
}

/**
 * What every transport hands to Yoga with a request, once the door (transport/admission.ts) has
 * let it in: the HTTP request (graphql-ws: the upgrade request, and no response) and who sent it.
 */
export interface ServerContext {
  req: IncomingMessage;
  res?: ServerResponse | undefined;
  /** Whose API token came with the request (all accounts when tokens are off; none on the bare GraphiQL page). */
  principal: Principal;
  /**
   * A valid API token came with the request (Authorization header or `?token=`). Such a request
   * carries no ambient credential a foreign page could forge, so the CSRF check lets it pass.
   */
  credentialed: boolean;
  /** graphql-ws: false once the client completed this operation (SSE reads its request's signal). */
  operationOpen?: (() => boolean) | undefined;
}

/** Per operation (one GraphQL context): its static cost and what its series fields have charged since. */
export interface CostMeter {
  /** undefined until the first series field charges (then: the operation's static cost). */
  spent: number | undefined;
}

/** The live results a subscription's context carries, handed out once (the caller writes them). */
export function takeLiveResults(context: unknown): LiveResults | undefined {
  if (typeof context !== "object" || context === null) return undefined;
  const slot = context as Partial<GraphqlContext>;
  const results = slot.liveResults;
  slot.liveResults = undefined;
  return results;
}
