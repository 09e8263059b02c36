/**
 * startService(config) → a running service: store, ingest (unless --role api), HTTP (GraphQL,
 * REST, health, metrics). main.ts adds process signals; tests call this directly on port 0.
 */
import { type App, buildApp, type Mount, type ReadinessCheck } from "./app.js";
import { loadTokenTable } from "./auth/load.js";
import type { Config } from "./config.js";
import { createGraphqlMount } from "./graphql/mount.js";
import { type Ingest, startIngest } from "./ingest/service.js";
import { createLiveFeed } from "./live/feed.js";
import { publishAppliedBatches } from "./live/publish.js";
import { createLiveBus, type LiveBus } from "./live/pubsub.js";
import type { Logger } from "./log.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { createRestMount } from "./rest/mount.js";
import type { ServiceDeps } from "./service-deps.js";
import { createStore } from "./store/create-store.js";
import type { StatsStore } from "./store/types.js";

export interface Service {
  config: Config;
  store: StatsStore;
  metrics: Metrics;
  ingest: Ingest | undefined;
  app: App;
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:8001 */
  url: string;
  /**
   * Stops receiving, flushes everything pending (retrying up to shutdownTimeoutMs), closes HTTP
   * and Redis. Resolves false when pending increments could not be written.
   */
  stop(): Promise<boolean>;
}

export async function startService(
  config: Config,
  log: Logger,
  opts: { defaultMetrics?: boolean } = {},
): Promise<Service> {
  // First: a bad tokens file stops the start (ConfigError) before anything is opened.
  const tokens = await loadTokenTable(config);
  const store = createStore(config, log);
  const metrics = createMetrics(opts);
  const mounts: Mount[] = [];
  const readiness: ReadinessCheck[] = [];

  let ingest: Ingest | undefined;
  let bus: LiveBus | undefined;
  let app: App | undefined;
  let url: string;
  /** Closes whatever was opened, in reverse order (also when the start fails half-way). */
  const close = async () => {
    await app?.stop();
    await bus?.close();
    await store.close();
  };

  try {
    if (config.role !== "api") {
      const started = startIngest(config, store, metrics, log);
      ingest = started;
      await started.consumer.ready;
      readiness.push({
        name: "event_bus",
        // A bound socket is ready as soon as it listens; a connecting one once a publisher is there.
        check: async () => config.zmqBind || started.consumer.connections > 0,
      });
      // Not ready while flushes fail — whatever PING says (OOM, READONLY, a rejected batch).
      readiness.push({ name: "flush", check: async () => started.flusher.status() });
    }

    // The live bus: batches this process flushes go out on it; the feed below listens on it.
    bus = createLiveBus(config, log);
    if (ingest) publishAppliedBatches(ingest.flusher, bus);

    const deps: ServiceDeps = { config, store, metrics, log, ingest, tokens };
    // One feed per process. Answers (GraphQL and REST) are cached between flushes only where every
    // flush is heard: on a Redis bus, or in the process that flushes (an API process on a memory
    // bus hears of none).
    const live = createLiveFeed(bus, store, log);
    const onFlushed = bus.kind === "redis" || ingest ? live.onFlushed : undefined;
    mounts.push(createGraphqlMount(deps, live, onFlushed), createRestMount(deps, onFlushed));

    app = buildApp({ store, metrics, log, mounts, readiness, metricsToken: config.metricsToken });
    ({ url } = await app.start(config.http.port, config.http.host));
  } catch (err) {
    await ingest?.stop(0);
    await close();
    throw err;
  }
  const started = app;

  return {
    config,
    store,
    metrics,
    ingest,
    app: started,
    url,
    async stop() {
      const flushed = ingest ? await ingest.stop(config.shutdownTimeoutMs) : true;
      if (!flushed && ingest) {
        log.error(
          { pendingEvents: ingest.flusher.pendingEvents },
          "store unreachable at shutdown: pending increments were NOT written",
        );
      }
      await close();
      return flushed;
    },
  };
}
