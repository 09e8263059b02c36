import type { IncomingMessage, ServerResponse } from "node:http";
import type { Principal } from "../auth/tokens.js";
import type { StatsStore } from "../domain/types.js";
import type { LiveFeed } from "../live/feed.js";

/** What every resolver gets: the store for queries, the live feed (fed by the typed bus) for subscriptions. */
export interface GraphqlContext {
  store: StatsStore;
  live: LiveFeed;
  /** Whose API token the operation came with: the accounts it may read (all, when tokens are off). */
  principal: Principal;
}

/** What every transport hands to Yoga with a request (graphql-ws: the upgrade request, no response). */
export interface ServerContext {
  req: IncomingMessage;
  res: ServerResponse;
}
