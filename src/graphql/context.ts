import type { LiveFeed } from "../live/feed.js";
import type { StatsStore } from "../store/types.js";

/** What every resolver gets: the store for queries, the live feed (fed by the typed bus) for subscriptions. */
export interface GraphqlContext {
  store: StatsStore;
  live: LiveFeed;
}
