/**
 * The lease of an ingest shard in Redis: one key per shard i/n holding the owner's id, set with
 * SET-if-absent semantics and a time to live (PX), renewed by the owner, released on a clean stop
 * — claimed and renewed by one Lua script (lua/lease-claim.lua) that also keeps an epoch, the
 * count of new claims, so that an owner whose lease lapsed takes it back only when nobody held it
 * meanwhile. The flush script checks the same key (lua/apply-batch.lua), so a process that lost
 * its lease cannot write. Cluster: the lease and its epoch share a hash tag (keys.ts).
 */
import { readFileSync } from "node:fs";
import type { Cluster, Redis } from "ioredis";
import type { Shard } from "../domain/shard.js";
import type { KeySpace } from "./keys.js";

export type LeaseAnswer =
  | { held: true; epoch: string }
  /** owner "" = the lease lapsed but another process held it since this one did. */
  | { held: false; owner: string; ttlMs: number };

export interface ShardLeaseStore {
  /** Claims (epoch "") or renews (the epoch this process holds) the lease of `shard` for `ttlMs`. */
  claim(shard: Shard, id: string, ttlMs: number, epoch: string): Promise<LeaseAnswer>;
  /** Gives the lease up if `id` holds it. */
  release(shard: Shard, id: string): Promise<void>;
  close(): Promise<void>;
}

const CLAIM = readFileSync(new URL("./lua/lease-claim.lua", import.meta.url), "utf8");
const RELEASE = readFileSync(new URL("./lua/lease-release.lua", import.meta.url), "utf8");

type WithScripts = (Redis | Cluster) & {
  leaseClaim(lease: string, epoch: string, id: string, ttlMs: number, held: string): Promise<Array<string | number>>;
  leaseRelease(lease: string, id: string): Promise<number>;
};

export function createRedisShardLease(client: Redis | Cluster, keys: KeySpace): ShardLeaseStore {
  if (!("leaseClaim" in client)) {
    client.defineCommand("leaseClaim", { numberOfKeys: 2, lua: CLAIM });
    client.defineCommand("leaseRelease", { numberOfKeys: 1, lua: RELEASE });
  }
  const redis = client as WithScripts;
  return {
    async claim(shard, id, ttlMs, epoch) {
      const reply = await redis.leaseClaim(
        keys.shardLease(shard.index, shard.count),
        keys.shardLeaseEpoch(shard.index, shard.count),
        id,
        Math.max(1, Math.round(ttlMs)),
        epoch,
      );
      if (Number(reply[0]) === 1) return { held: true, epoch: String(reply[1]) };
      return { held: false, owner: String(reply[1] ?? ""), ttlMs: Number(reply[2] ?? 0) };
    },
    async release(shard, id) {
      await redis.leaseRelease(keys.shardLease(shard.index, shard.count), id);
    },
    async close() {
      if (client.status === "ready") await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}

/** --store memory: one process, nobody to share a shard with; the lease is always its own. */
export function createMemoryShardLease(): ShardLeaseStore {
  return {
    async claim() {
      return { held: true, epoch: "1" };
    },
    async release() {},
    async close() {},
  };
}
