/**
 * `stats-server` (serve): the composition root. startService(config) creates everything the
 * process runs — store, ingest (unless --role api), live bus and feed, HTTP (GraphQL, REST,
 * health, metrics) — and its stop() closes all of it, in reverse order. Nothing else opens or
 * closes a connection. serve() adds the process signals; tests call startService on port 0.
 */

import { loadTokenTable } from "../auth/load.js";
import type { Config } from "../config.js";
import { UNIQUE_EVENT } from "../domain/names.js";
import { describeShardTrouble, shardTrouble } from "../domain/shard-view.js";
import type { StatsStore } from "../domain/types.js";
import { openShardRegistry, type ShardRegistry } from "../fleet/shard-registry.js";
import { createGraphqlMount } from "../graphql/mount.js";
import { type App, buildApp, type Mount, type ReadinessCheck } from "../http/app.js";
import { createMemoryBudget, type MemoryBudget } from "../http/memory-budget.js";
import { createLiveFeed, type LiveFeed } from "../live/feed.js";
import { publishAppliedBatches } from "../live/publish.js";
import { createLiveBus, type LiveBus } from "../live/pubsub.js";
import { createLogger, createRateLimitedLog, type Logger } from "../log.js";
import { createMetrics, type Metrics } from "../metrics.js";
import { createAssetsMount, createDashboardMount } from "../pages/mount.js";
import { createRestMount } from "../rest/mount.js";
import { createStore, waitForStore } from "../store/create-store.js";
import { type IngestSide, startIngestHere } from "./ingest-side.js";
import { startIngestWorker } from "./ingest-thread.js";

export interface Service {
  config: Config;
  store: StatsStore;
  metrics: Metrics;
  /** The ingest side (unless --role api): in a worker thread of its own in the `all` role on Redis. */
  ingest: IngestSide | undefined;
  app: App;
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:8001 */
  url: string;
  /**
   * Stops receiving, flushes everything pending (retrying up to shutdownTimeoutMs), closes HTTP
   * and Redis. Resolves false when pending increments could not be written.
   */
  stop(): Promise<boolean>;
  /** Resolves when the ingest worker ended unexpectedly (the reason); never otherwise. */
  readonly died: Promise<Error>;
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

  let ingest: IngestSide | undefined;
  let died: Promise<Error> = new Promise(() => {});
  let bus: LiveBus | undefined;
  let live: LiveFeed | undefined;
  let app: App | undefined;
  let shards: ShardRegistry | undefined;
  let url: string;
  /** Closes whatever was opened, in reverse order (also when the start fails half-way). */
  const close = async () => {
    // The GraphQL mount ends the feed's subscriptions itself while it closes (after its
    // WebSockets went, so that clients reconnect rather than see them complete); closing the
    // feed here again is a no-op then, and ends it when no mount did.
    await app?.stop();
    await live?.close();
    await shards?.stop();
    await bus?.close();
    await store.close();
  };

  try {
    // The live bus: batches this process flushes go out on it (from the very first flush); the
    // feed below listens on it.
    bus = createLiveBus(config, log);
    if (config.role !== "api") {
      // In the `all` role the API shares this thread: ingest gets a thread of its own, so that no
      // API work delays reading the bus or flushing (docs/operations.md, "The all role under API
      // load"). The memory store cannot be shared across threads; --role ingest has nothing to
      // share its thread with.
      let started: IngestSide;
      if (config.role === "all" && config.store === "redis") {
        const worker = startIngestWorker(config, metrics, log);
        died = worker.died;
        started = worker;
      } else {
        started = startIngestHere(config, store, metrics, log);
      }
      ingest = started;
      publishAppliedBatches(started, bus);
      readiness.push({
        name: "event_bus",
        // A bound socket is ready as soon as it listens; a connecting one once a publisher is there;
        // a standby subscribes to nothing.
        check: async () =>
          config.zmqBind || (await started.status()).connections > 0 || started.lease()?.state === "standby"
            ? true
            : { ok: false, reason: `no publisher connected (ZMTP handshake) at ${config.zmq.join(", ")}` },
      });
      // Every ingest process holds its shard's lease (without --shard: shard 0/1).
      readiness.push({
        name: "lease",
        // A standby is ready: during a rolling deploy the new process waits for the old one's
        // lease, and must not hold up the deploy by being unready meanwhile.
        check: async () => {
          const r = started.lease();
          if (r === undefined) return { ok: false, reason: "the ingest side has not reported its lease yet" };
          if (r.state === "owner") return true;
          if (r.state === "standby") {
            return {
              ok: true,
              warning: `standby for shard ${r.shard}: ${r.owner ?? "another process"} holds its lease; this process counts nothing until it lapses or is released`,
            };
          }
          return { ok: false, reason: `claiming the lease of shard ${r.shard} (Redis has not answered)` };
        },
      });
      // Not ready while flushes fail — whatever PING says (OOM, READONLY, a rejected batch).
      readiness.push({ name: "flush", check: async () => (await started.status()).flush });
    }

    // Every process watches the shard registry; an ingest process also holds its shard there (the
    // ingest side opens and stops that registry itself, in its own thread). A pure ingest process
    // is not ready while a shard is missing or claimed twice; a process that also answers (--role
    // all) stays ready and warns — during a rolling deploy the shard is briefly between owners (the
    // new process waits as a standby for the old one's lease), and the API must not leave the load
    // balancer for that.
    let registry: IngestSide["shards"];
    if (ingest) registry = ingest.shards;
    else {
      shards = openShardRegistry(config, metrics, log);
      registry = shards;
    }
    if (ingest) {
      readiness.push({
        name: "shards",
        check: async () => {
          const view = registry.view();
          if (view === undefined) return { ok: false, reason: "shard registry not read yet" };
          if (!shardTrouble(view)) return true;
          const reason = describeShardTrouble(view);
          return config.role === "ingest" ? { ok: false, reason } : { ok: true, warning: reason };
        },
      });
    }
    await Promise.race([registry.firstRound, new Promise((r) => setTimeout(r, 1_000).unref())]);

    // --role ingest serves only /healthz, /readyz and /metrics.
    if (config.role !== "ingest") {
      // One feed per process. Answers (GraphQL and REST) are cached between flushes only where
      // every flush is heard: on a Redis bus, or in the process that flushes (an API process on a
      // memory bus hears of none).
      const feed = createLiveFeed(bus, store, log);
      live = feed;
      const onFlushed = bus.kind === "redis" || ingest ? feed.onFlushed : undefined;
      const memory = createObservedMemoryBudget(config.maxMemoryBytes, metrics, log);
      mounts.push(
        createGraphqlMount(
          {
            limits: config.graphql,
            store,
            metrics,
            log,
            tokens,
            minuteRetentionSeconds: config.minuteRetentionSeconds,
            memory,
          },
          feed,
          onFlushed,
        ),
        createRestMount(
          {
            pathPrefix: config.pathPrefix,
            store,
            log,
            tokens,
            memory,
            observeCaches: (source) => metrics.observeCaches(source),
          },
          onFlushed,
        ),
        // `unique` is a time series of its own: what tracked events with `data.unq` also count as.
        createDashboardMount({
          trackEvents: [...new Set([...config.trackEvents, UNIQUE_EVENT])],
          funnelEvents: config.funnelEvents,
        }),
        createAssetsMount(),
      );
    }

    app = buildApp({
      store,
      metrics,
      log,
      mounts,
      readiness,
      readyDetail: () => {
        const lease = ingest?.lease();
        return { shards: registry.report(), ...(lease ? { lease } : {}) };
      },
      metricsToken: config.metricsToken,
      corsOrigins: config.corsOrigins,
    });
    // The socket bound or connecting before HTTP listens (a worker loads meanwhile: awaited here, not above).
    await ingest?.ready;
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
    died,
    async stop() {
      const { flushed, pendingEvents } = ingest
        ? await ingest.stop(config.shutdownTimeoutMs)
        : { flushed: true, pendingEvents: 0 };
      if (!flushed) {
        log.error({ pendingEvents }, "store unreachable at shutdown: pending increments were NOT written");
      }
      await close();
      return flushed;
    },
  };
}

/**
 * The process's one memory budget (--max-memory), shared by the GraphQL and REST mounts: each
 * refusal is counted in stats_memory_refusals_total{what} by the kind of work refused, and logged
 * as a warning (at most five a 10 s window); the budget itself is stats_memory_budget_bytes.
 */
function createObservedMemoryBudget(limitBytes: number, metrics: Metrics, log: Logger): MemoryBudget {
  const refusedLog = createRateLimitedLog(log);
  const memory = createMemoryBudget({
    limitBytes,
    onRefused(work, what, used) {
      metrics.memoryRefusals.inc({ what: work });
      refusedLog("memory", { what, usedBytes: used }, "refused work: the heap is at its memory budget (--max-memory)");
    },
  });
  metrics.observeMemoryBudget(() => memory.limitBytes);
  return memory;
}

/** Runs the service until SIGTERM or SIGINT; then stops receiving, flushes and closes. The exit code. */
export async function serve(config: Config): Promise<number> {
  const log = createLogger(config.logLevel);
  const service = await startService(config, log);
  // The store's address only when there is one (--store memory has none).
  const where =
    config.store === "redis" ? { redis: config.redisCluster.length ? config.redisCluster : config.redis } : {};
  log.info(
    { role: config.role, store: config.store, zmq: config.zmq, bind: config.zmqBind, ...where },
    config.role === "ingest"
      ? `stats-server (ingest) serving ${service.url}/healthz, /readyz and /metrics`
      : `stats-server listening on ${service.url} (GraphQL ${service.url}/graphql, REST ${service.url}${config.pathPrefix})`,
  );
  if (config.role !== "ingest" && !isLoopback(config.http.host) && config.tokensFile === "" && config.tokens === "") {
    log.warn(
      { http: `${config.http.host}:${config.http.port}` },
      "listening beyond this machine with no API tokens: anyone who reaches this address reads every account (set --tokens-file, or listen on localhost)",
    );
  }
  if (config.store === "redis") {
    waitForStore(() => service.store.ping(), 3_000).catch((err: unknown) =>
      log.error({ err: String(err), redis: config.redis }, "redis is not reachable; retrying (see /readyz)"),
    );
  }

  const signal = await Promise.race([
    new Promise<string>((resolve) => {
      process.once("SIGTERM", () => resolve("SIGTERM"));
      process.once("SIGINT", () => resolve("SIGINT"));
    }),
    // As an uncaught error on this thread would: the process ends (exit 1), and is restarted.
    service.died.then(() => "ingest worker died"),
  ]);
  log.info({ signal }, "shutting down: stop receiving, flush, close");
  const flushed = await service.stop();
  log.info({ flushed }, "stopped");
  log.flush();
  return flushed && signal !== "ingest worker died" ? 0 : 1;
}

/** Reachable only from this machine: localhost, 127.0.0.0/8 or ::1. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}
