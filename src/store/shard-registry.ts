/**
 * Where ingest processes register their shard: one sorted set, member `i/n id state`, score the
 * moment the registration expires (Redis's own clock, so hosts' clocks do not matter). A beat
 * pushes the score forward; a read first trims everything expired (ZREMRANGEBYSCORE), then reads
 * what is left, so a read costs what is live, never what has ever lived, and a process that died
 * leaves nothing behind after two heartbeats. n of the latest beat is kept apart, so that once
 * every process is gone their shards still show as missing. Works on Redis Cluster: every command,
 * and each script, touches one key.
 *
 * The layout before fencing (`ingest:shards`, dead entries kept a week and read by every process
 * twice a second) is trimmed of entries older than a minute on every read and never read.
 */
import { readFileSync } from "node:fs";
import type { Cluster, Redis } from "ioredis";
import { MAX_SHARDS } from "../domain/shard.js";
import type { ShardClaim } from "../domain/shard-view.js";
import type { KeySpace } from "./keys.js";

export interface ShardRegistryStore {
  /** Registers (or renews) `claim` for `ttlMs`, replacing this process's previous registration. */
  beat(claim: ShardClaim, ttlMs: number): Promise<void>;
  /** Drops `claim`'s registration at once (a clean stop). */
  retire(claim: ShardClaim): Promise<void>;
  /** The claims whose registration is alive, and n of the most recently renewed claim (0 = none ever). */
  read(): Promise<{ live: ShardClaim[]; lastCount: number }>;
  close(): Promise<void>;
}

/** Old-layout entries younger than this may belong to a process of the old version still running. */
const LEGACY_KEEP_MS = 60_000;

const BEAT = readFileSync(new URL("./lua/registry-beat.lua", import.meta.url), "utf8");
const READ = readFileSync(new URL("./lua/registry-read.lua", import.meta.url), "utf8");

type WithScripts = (Redis | Cluster) & {
  registryBeat(key: string, member: string, ttlMs: number, previous: string): Promise<unknown>;
  registryRead(key: string): Promise<string[]>;
};

const member = (c: ShardClaim) => `${c.index}/${c.count} ${c.id} ${c.state ?? "owner"}`;

function parseMember(text: string): ShardClaim | undefined {
  const m = /^(\d+)\/(\d+) (\S+) (owner|standby)$/.exec(text);
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  // Anything else is not a claim this version could make: ignored, so nothing is sized by it.
  if (count < 1 || count > MAX_SHARDS || index >= count) return undefined;
  return { index, count, id: m[3] as string, state: m[4] as "owner" | "standby" };
}

export function createRedisShardRegistry(client: Redis | Cluster, keys: KeySpace): ShardRegistryStore {
  if (!("registryBeat" in client)) {
    client.defineCommand("registryBeat", { numberOfKeys: 1, lua: BEAT });
    client.defineCommand("registryRead", { numberOfKeys: 1, lua: READ });
  }
  const redis = client as WithScripts;
  const set = keys.shardRegistry();
  /** This process's registration as last written, by instance id: a change of state replaces it. */
  const written = new Map<string, string>();
  return {
    async beat(claim, ttlMs) {
      const m = member(claim);
      const previous = written.get(claim.id) ?? "";
      await Promise.all([
        redis.registryBeat(set, m, Math.max(1, Math.round(ttlMs)), previous),
        redis.set(keys.shardRegistryCount(), String(claim.count)),
      ]);
      written.set(claim.id, m);
    },
    async retire(claim) {
      const m = written.get(claim.id) ?? member(claim);
      await redis.zrem(set, m);
      written.delete(claim.id);
    },
    async read() {
      const [members, last] = await Promise.all([
        redis.registryRead(set),
        redis.get(keys.shardRegistryCount()),
        redis.zremrangebyscore(keys.legacyShardRegistry(), "-inf", Date.now() - LEGACY_KEEP_MS),
      ]);
      const live: ShardClaim[] = [];
      for (const text of members) {
        const claim = parseMember(text);
        if (claim) live.push(claim);
      }
      const n = Number(last);
      return { live, lastCount: Number.isInteger(n) && n >= 1 && n <= MAX_SHARDS ? n : 0 };
    },
    async close() {
      // QUIT on a client that is not connected would wait in its offline queue: drop it instead.
      if (client.status === "ready") await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}

/** The same registry inside one process (--store memory: there is only this process to see). */
export function createMemoryShardRegistry(): ShardRegistryStore {
  const entries = new Map<string, { claim: ShardClaim; expires: number }>();
  let lastCount = 0;
  return {
    async beat(claim, ttlMs) {
      entries.set(claim.id, { claim: { ...claim }, expires: Date.now() + ttlMs });
      lastCount = claim.count;
    },
    async retire(claim) {
      entries.delete(claim.id);
    },
    async read() {
      const now = Date.now();
      for (const [id, e] of entries) if (e.expires <= now) entries.delete(id);
      return { live: [...entries.values()].map((e) => e.claim), lastCount };
    },
    async close() {},
  };
}
