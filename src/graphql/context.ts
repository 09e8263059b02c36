import type { Principal } from "../auth/tokens.js";
import type { LiveFeed } from "../live/feed.js";
import type { SeriesFeed } from "../live/series-feed.js";
import type { StatsStore } from "../store/types.js";
import type { CostMeter } from "./series-cost.js";

/** What every resolver gets: the store for queries, the live feed (fed by the typed bus) for subscriptions. */
export interface GraphqlContext {
  store: StatsStore;
  live: LiveFeed;
  /** Whose API token the operation came with: the accounts it may read (all, when tokens are off). */
  principal: Principal;
  /** Time windows (DESIGN §7): the clock, and what limits a window. */
  series: SeriesContext;
  /** Live time windows (series / funnelSeries subscriptions). */
  liveSeries: SeriesFeed;
  /** What this operation's series fields have charged against --max-query-cost. */
  seriesCost: CostMeter;
}

export interface SeriesContext {
  now: () => number;
  maxPoints: number;
  /** --max-query-cost, which series points count against. */
  maxCost: number;
  /** How long minute counts are kept (ms). */
  minuteRetentionMs: number;
}
