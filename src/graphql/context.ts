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
}
