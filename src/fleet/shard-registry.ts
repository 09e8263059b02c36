/**
 * The shard registry as a running part of a process. An ingest process renews its claim
 * (`--shard i/n`, or 0/1 unsharded) every interval, with a TTL of two intervals, saying whether it
 * owns the shard's lease or waits as a standby (shard-lease.ts); every process, ingest or API,
 * re-reads the registry twice per interval, so a shard whose owner died shows as missing within
 * 2.5 intervals (until a standby takes it over). The view feeds /metrics (stats_ingest_shards{state})
 * and /readyz. Processes that split by a different n are an operator error: every process that
 * sees one logs it at error level (again each minute while it lasts). Two owners of one shard
 * cannot happen between processes that fence; a standby beside an owner is normal.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Config } from "../config.js";
import { type ShardClaim, type ShardView, shardTrouble, viewShards } from "../domain/shard-view.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { createKeySpace } from "../store/keys.js";
import { createRedisClient } from "../store/redis-connection.js";
import {
  createMemoryShardRegistry,
  createRedisShardRegistry,
  type ShardRegistryStore,
} from "../store/shard-registry.js";

export interface ShardRegistry {
  /** This process's claim (undefined in an API process). */
  readonly claim: ShardClaim | undefined;
  /** The latest view; undefined until the registry was read once. */
  view(): ShardView | undefined;
  /** Resolves after the first beat and read (successful or not). */
  readonly firstRound: Promise<void>;
  /** Renews this process's registration now (its lease state changed). */
  beatNow(): void;
  /** What /readyz shows under `shards`. */
  report(): Record<string, unknown>;
  /** Stops the timers, drops this process's heartbeat, closes the registry's connection. */
  stop(): Promise<void>;
}

export interface ShardRegistryOptions {
  store: ShardRegistryStore;
  /** i/n this process ingests; undefined for a process that only watches. */
  shard: { index: number; count: number } | undefined;
  /** This process's instance id (the lease's); default a new one. */
  id?: string;
  /** Whether this process owns its shard or waits for it (its lease); default owner. */
  state?: () => "owner" | "standby";
  intervalMs: number;
  metrics: Metrics;
  log: Logger;
}

const REPEAT_LOG_MS = 60_000;

export function newInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export function startShardRegistry(opts: ShardRegistryOptions): ShardRegistry {
  const { store, metrics, log, intervalMs } = opts;
  const base: ShardClaim | undefined = opts.shard && { id: opts.id ?? newInstanceId(), ...opts.shard };
  const claimNow = (): ShardClaim | undefined => base && { ...base, state: opts.state?.() ?? "owner" };
  const claim = base;
  const name = (i: number, n: number) => `${i}/${n}`;
  let current: ShardView | undefined;
  let readFailed = false;
  let reading = false;
  let beating: Promise<void> | undefined;
  /** A beat was asked for while one was in flight: its state may be newer than the one being written. */
  let again = false;
  let logged = { trouble: "", at: 0 };

  const beat = (): Promise<void> => {
    if (!claim) return Promise.resolve();
    if (beating) {
      again = true;
      return beating;
    }
    beating = (async () => {
      try {
        do {
          again = false;
          await store.beat(claimNow() as ShardClaim, 2 * intervalMs);
        } while (again);
      } catch (err) {
        log.debug({ err: String(err) }, "shard heartbeat failed (store unreachable?)");
      } finally {
        beating = undefined;
      }
    })();
    return beating;
  };

  const describe = (v: ShardView) => ({
    expected: v.expected,
    alive: v.alive.map((i) => name(i, v.expected)),
    missing: v.missing.map((i) => name(i, v.expected)),
    duplicate: v.duplicate.map((d) => ({ shard: name(d.shard, v.expected), instances: d.instances })),
    disagreeing: v.disagreeing,
    standby: v.standby.map((s) => ({ shard: name(s.shard, v.expected), instance: s.instance })),
  });

  const complain = (v: ShardView) => {
    const trouble = shardTrouble(v) ? JSON.stringify(describe(v)) : "";
    const now = Date.now();
    if (trouble === logged.trouble && (trouble === "" || now - logged.at < REPEAT_LOG_MS)) return;
    logged = { trouble, at: now };
    if (trouble === "") {
      log.info({ shards: describe(v) }, "ingest shards: every shard has exactly one process");
      return;
    }
    const fields = {
      shards: describe(v),
      self: claim && { instance: claim.id, shard: name(claim.index, claim.count), state: claimNow()?.state },
    };
    if (v.duplicate.length > 0 || v.disagreeing.length > 0) {
      log.error(
        fields,
        "INGEST SHARD CONFLICT: two processes hold one shard, or processes split by a different n — the affected accounts are counted twice or not at all until the --shard flags are fixed",
      );
    } else {
      (claim ? log.error.bind(log) : log.warn.bind(log))(
        fields,
        "ingest shards missing: the events of their accounts are not being counted",
      );
    }
  };

  const read = async () => {
    if (reading) return;
    reading = true;
    try {
      let { live, lastCount } = await store.read();
      if (claim && !live.some((c) => c.id === claim.id)) {
        // Our own heartbeat lapsed (Redis was away, or restarted): renew it now rather than report
        // ourselves missing until the next beat.
        await beat();
        ({ live, lastCount } = await store.read());
      }
      const v = viewShards(live, lastCount);
      current = v;
      readFailed = false;
      metrics.ingestShardsExpected.set(v.expected);
      metrics.ingestShards.set({ state: "alive" }, v.alive.length);
      metrics.ingestShards.set({ state: "missing" }, v.missing.length);
      metrics.ingestShards.set({ state: "duplicate" }, v.duplicate.length);
      metrics.ingestShards.set({ state: "standby" }, v.standby.length);
      metrics.ingestShardsDisagreeing.set(v.disagreeing.length);
      complain(v);
    } catch (err) {
      if (!readFailed)
        log.warn({ err: String(err) }, "shard registry unreadable (store unreachable?); keeping the last view");
      readFailed = true;
    } finally {
      reading = false;
    }
  };

  const firstRound = beat().then(read);
  const beatTimer = claim ? setInterval(() => void beat(), intervalMs) : undefined;
  const readTimer = setInterval(() => void read(), Math.max(1, Math.floor(intervalMs / 2)));

  return {
    claim,
    view: () => current,
    firstRound,
    beatNow: () => void beat().then(read),
    report() {
      return {
        ...(current ? describe(current) : { expected: null }),
        self: claim
          ? { instance: claim.id, shard: name(claim.index, claim.count), state: claimNow()?.state ?? "owner" }
          : null,
        ...(readFailed || !current ? { stale: true } : {}),
      };
    },
    async stop() {
      clearInterval(beatTimer);
      clearInterval(readTimer);
      if (claim) {
        const retired = store.retire(claim).catch(() => undefined);
        await Promise.race([retired, new Promise((r) => setTimeout(r, 1_000).unref())]);
      }
      await store.close();
    },
  };
}

/** The registry for this process's configuration: in Redis (its own connection), or in memory with --store memory. */
export function openShardRegistry(
  cfg: Pick<Config, "store" | "redis" | "redisCluster" | "keyPrefix" | "role" | "shard" | "shardHeartbeatMs">,
  metrics: Metrics,
  log: Logger,
  self: { id?: string; state?: () => "owner" | "standby" } = {},
): ShardRegistry {
  const store =
    cfg.store === "memory"
      ? createMemoryShardRegistry()
      : createRedisShardRegistry(
          // Queued while connecting, so the first beat registers as soon as Redis answers.
          createRedisClient(cfg.redis, cfg.redisCluster, log, "shard-registry", { enableOfflineQueue: true }),
          createKeySpace(cfg.keyPrefix),
        );
  const shard = cfg.role === "api" ? undefined : (cfg.shard ?? { index: 0, count: 1 });
  return startShardRegistry({ store, shard, intervalMs: cfg.shardHeartbeatMs, metrics, log, ...self });
}
