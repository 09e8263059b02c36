/**
 * The GraphQL mount on /graphql: queries and SSE subscriptions over HTTP, graphql-ws over
 * WebSocket upgrades, GraphiQL for browsers. Every process mounts it; live updates reach it
 * through the bus whether this process ingests or not.
 */
import { Gauge } from "prom-client";
import type { Mount } from "../app.js";
import { createLiveFeed } from "../live/feed.js";
import type { LiveBus } from "../live/pubsub.js";
import type { ServiceDeps } from "../service-deps.js";
import { createQueryCache } from "./query-cache.js";
import { createGraphqlWsServer } from "./ws.js";
import { createStatsYoga } from "./yoga.js";

export function createGraphqlMount(deps: ServiceDeps, bus: LiveBus): Mount {
  const live = createLiveFeed(bus, deps.store, deps.log);
  new Gauge({
    name: "stats_graphql_subscriptions",
    help: "GraphQL subscriptions (stats, funnel, increments) open on this process, over SSE and WebSocket.",
    registers: [deps.metrics.registry],
    collect() {
      this.set(live.subscribers);
    },
  });
  const yoga = createStatsYoga({ store: deps.store, live, log: deps.log });
  const ws = createGraphqlWsServer(yoga, deps.log);
  // Answers can be kept until the next flush only where every flush is heard: on a Redis bus, or
  // in the process that flushes. (An API process on a memory bus hears of none.)
  const cache = bus.kind === "redis" || deps.ingest ? createQueryCache(yoga) : undefined;
  if (cache) live.onFlushed(() => cache.invalidate());
  let closing: Promise<void> | undefined;
  return {
    prefix: "/graphql",
    async handle(req, res) {
      if (cache && (await cache.handle(req, res))) return;
      await yoga.handle(req, res, { req, res });
    },
    upgrade: (req, socket, head) => ws.handleUpgrade(req, socket, head),
    close() {
      // Ends every subscription (clients see them complete), then the sockets. Idempotent.
      closing ??= live.close().then(() => ws.close());
      return closing;
    },
  };
}
