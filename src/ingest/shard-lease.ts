/**
 * Fencing: one process at a time owns an ingest shard (decision 5). An ingest process claims its
 * shard's lease in Redis (store/shard-lease.ts) and renews it every `--shard-heartbeat`; the lease
 * lapses after two intervals without a renewal. A process that finds the lease held is a STANDBY:
 * it does not subscribe to the bus (ingest.ts), counts nothing, and tries again four times per
 * interval, so it takes over soon after the owner released the lease (clean stop) or the lease
 * lapsed (the owner died or stalled). Every write of the owner carries the lease (`fence()`), and
 * the flush script refuses it once the lease is another's: a process that lost its lease cannot
 * write what it still held. Owner → standby (lost) and standby → owner are told to `onChange`.
 */
import type { Config } from "../config.js";
import type { Fence, Shard } from "../domain/shard.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { createKeySpace } from "../store/keys.js";
import { createRedisClient } from "../store/redis-connection.js";
import { createMemoryShardLease, createRedisShardLease, type ShardLeaseStore } from "../store/shard-lease.js";

export type LeaseState = "claiming" | "owner" | "standby";

export interface ShardLease {
  readonly shard: Shard;
  /** This process's instance id (also its shard registration's). */
  readonly id: string;
  state(): LeaseState;
  /** What this process's writes carry: the store refuses them unless the lease is this process's. */
  fence(): Fence;
  /**
   * After a write was refused for the lease: asks Redis at once. True when the lease is (again) this
   * process's, false when another's; undefined when Redis did not answer (ask again later).
   */
  confirm(): Promise<boolean | undefined>;
  /** Resolves once the first claim was answered, or failed (Redis unreachable: still claiming). */
  readonly firstAnswer: Promise<void>;
  onChange(listener: (state: LeaseState) => void): void;
  /** What /readyz shows under `lease`. */
  report(): { shard: string; state: LeaseState; owner: string | null; epoch: string | null };
  /** Stops renewing, releases the lease if this process holds it (the standby takes over at once), closes. */
  stop(): Promise<void>;
}

export interface ShardLeaseOptions {
  store: ShardLeaseStore;
  shard: Shard;
  id: string;
  intervalMs: number;
  metrics: Metrics;
  log: Logger;
}

export function startShardLease(opts: ShardLeaseOptions): ShardLease {
  const { store, shard, id, intervalMs, metrics, log } = opts;
  const name = `${shard.index}/${shard.count}`;
  const ttlMs = 2 * intervalMs;
  let state: LeaseState = "claiming";
  /** The epoch of the claim this process holds ("" = none). */
  let epoch = "";
  let owner: string | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let unreachableLogged = false;
  const listeners: Array<(s: LeaseState) => void> = [];

  const become = (next: LeaseState) => {
    if (next === state) return;
    state = next;
    metrics.ingestLeaseOwner.set(next === "owner" ? 1 : 0);
    for (const l of listeners) {
      try {
        l(next);
      } catch (err) {
        log.error({ err }, "lease listener failed");
      }
    }
  };

  /** One claim or renewal: whether the lease is this process's, or undefined when Redis did not answer. */
  const attempt = async (): Promise<boolean | undefined> => {
    try {
      const answer = await store.claim(shard, id, ttlMs, epoch);
      unreachableLogged = false;
      if (stopped) return answer.held;
      if (answer.held) {
        const took = state !== "owner";
        epoch = answer.epoch;
        owner = id;
        if (took) {
          log.info(
            { shard: name, instance: id, epoch },
            `OWNER of shard ${name}: holds its lease (epoch ${epoch}) and counts its events`,
          );
          become("owner");
        }
        return true;
      }
      const was = state;
      owner = answer.owner || null;
      epoch = "";
      if (was === "owner") {
        log.error(
          { shard: name, instance: id, owner },
          `LOST the lease of shard ${name}${owner ? ` to ${owner}` : " (another process held it meanwhile)"}: stops counting; what it had not written is dropped (stats_events_fenced_total), the owner counts from its take-over`,
        );
      } else if (was === "claiming") {
        log.warn(
          { shard: name, instance: id, owner },
          `STANDBY for shard ${name}: ${owner ?? "another process"} holds its lease; this process counts nothing until that lease lapses or is released`,
        );
      }
      become("standby");
      return false;
    } catch (err) {
      // Unreachable: an owner stays owner (its writes are refused by the flush script if the
      // lease went to another meanwhile); a claimant stays what it was.
      if (!unreachableLogged)
        log.warn({ err: String(err), shard: name }, "shard lease: Redis did not answer; retrying");
      unreachableLogged = true;
      return undefined;
    }
  };

  let inFlight: Promise<boolean | undefined> | undefined;
  const run = (): Promise<boolean | undefined> => {
    if (!inFlight) {
      inFlight = attempt().finally(() => {
        inFlight = undefined;
      });
    }
    return inFlight;
  };

  const schedule = () => {
    if (stopped) return;
    // An owner renews once an interval; a standby asks four times an interval, to take over soon
    // after a release.
    const wait = state === "owner" ? intervalMs : Math.max(25, Math.floor(intervalMs / 4));
    timer = setTimeout(() => {
      void run().then(schedule);
    }, wait);
  };

  metrics.ingestLeaseOwner.set(0);
  let answered: () => void = () => {};
  const firstAnswer = new Promise<void>((resolve) => {
    answered = resolve;
  });
  void run().then(() => {
    answered();
    schedule();
  });
  // Redis may not answer for long (ioredis queues the claim while it connects): the start goes on.
  setTimeout(answered, Math.max(1_000, ttlMs)).unref();

  return {
    shard,
    id,
    state: () => state,
    fence: () => ({ shard, owner: id }),
    async confirm() {
      await inFlight;
      return run();
    },
    firstAnswer,
    onChange(listener) {
      listeners.push(listener);
    },
    report: () => ({ shard: name, state, owner, epoch: epoch || null }),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight?.catch(() => undefined);
      if (state === "owner") {
        const released = store.release(shard, id).then(
          () => log.info({ shard: name }, `released the lease of shard ${name}: a standby takes over now`),
          () => undefined,
        );
        await Promise.race([released, new Promise((r) => setTimeout(r, 1_000).unref())]);
      }
      await store.close();
    },
  };
}

/**
 * The lease for this process's configuration, or undefined when there is nothing to fence: an API
 * process, or --store memory (one process; the config refuses --shard with it).
 */
export function openShardLease(
  cfg: Pick<Config, "store" | "redis" | "redisCluster" | "keyPrefix" | "role" | "shard" | "shardHeartbeatMs">,
  id: string,
  metrics: Metrics,
  log: Logger,
): ShardLease | undefined {
  if (cfg.role === "api") return undefined;
  const store =
    cfg.store === "memory"
      ? createMemoryShardLease()
      : createRedisShardLease(
          createRedisClient(cfg.redis, cfg.redisCluster, log, "shard-lease", { enableOfflineQueue: true }),
          createKeySpace(cfg.keyPrefix),
        );
  const shard = cfg.shard ?? { index: 0, count: 1 };
  return startShardLease({ store, shard, id, intervalMs: cfg.shardHeartbeatMs, metrics, log });
}
