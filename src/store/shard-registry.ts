/**
 * Where ingest processes register their shard: a heartbeat key per process that expires unless
 * renewed (SET PX), plus a sorted set naming every process that ever registered (member `i/n id`,
 * score the time of its last beat), so readers find them without SCAN. The pattern of Sidekiq's
 * process set; no consensus of our own: Redis expiry decides who is alive. Works on Redis Cluster
 * (every command touches one key). A process that stops cleanly deletes its heartbeat but stays
 * in the set, so its shard shows as missing rather than vanishing; entries unseen for a week go.
 */
import type { Cluster, Redis } from "ioredis";
import type { ShardClaim } from "../domain/shard-view.js";
import type { KeySpace } from "./keys.js";

export interface ShardRegistryStore {
  /** Registers (or renews) `claim` for `ttlMs`. */
  beat(claim: ShardClaim, ttlMs: number): Promise<void>;
  /** Drops `claim`'s heartbeat at once (a clean stop). */
  retire(claim: ShardClaim): Promise<void>;
  /** The claims whose heartbeat is alive, and n of the most recently renewed claim (0 = none ever). */
  read(): Promise<{ live: ShardClaim[]; lastCount: number }>;
  close(): Promise<void>;
}

const FORGET_AFTER_MS = 7 * 86_400_000;

const member = (c: ShardClaim) => `${c.index}/${c.count} ${c.id}`;

function parseMember(text: string): ShardClaim | undefined {
  const m = /^(\d+)\/(\d+) (\S+)$/.exec(text);
  if (!m) return undefined;
  return { index: Number(m[1]), count: Number(m[2]), id: m[3] as string };
}

export function createRedisShardRegistry(client: Redis | Cluster, keys: KeySpace): ShardRegistryStore {
  const set = keys.shardRegistry();
  return {
    async beat(claim, ttlMs) {
      const now = Date.now();
      await Promise.all([
        client.set(keys.shardHeartbeat(claim.id), member(claim), "PX", Math.max(1, Math.round(ttlMs))),
        client.zadd(set, now, member(claim)),
        client.zremrangebyscore(set, "-inf", now - FORGET_AFTER_MS),
      ]);
    },
    async retire(claim) {
      await client.del(keys.shardHeartbeat(claim.id));
    },
    async read() {
      const flat = await client.zrange(set, 0, -1, "WITHSCORES");
      const entries: Array<{ claim: ShardClaim; at: number }> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const claim = parseMember(flat[i] as string);
        if (claim) entries.push({ claim, at: Number(flat[i + 1]) });
      }
      const beats = await Promise.all(entries.map((e) => client.get(keys.shardHeartbeat(e.claim.id))));
      // Alive: the heartbeat exists and names the same claim (a restarted id never reuses one).
      const live = entries.filter((e, i) => beats[i] === member(e.claim)).map((e) => e.claim);
      const latest = entries.reduce<{ claim: ShardClaim; at: number } | undefined>(
        (a, e) => (!a || e.at > a.at ? e : a),
        undefined,
      );
      return { live, lastCount: latest?.claim.count ?? 0 };
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
  const entries = new Map<string, { claim: ShardClaim; at: number; expires: number }>();
  return {
    async beat(claim, ttlMs) {
      const now = Date.now();
      entries.set(member(claim), { claim, at: now, expires: now + ttlMs });
    },
    async retire(claim) {
      const e = entries.get(member(claim));
      if (e) e.expires = 0;
    },
    async read() {
      const now = Date.now();
      const all = [...entries.values()];
      const latest = all.reduce<(typeof all)[number] | undefined>((a, e) => (!a || e.at > a.at ? e : a), undefined);
      return { live: all.filter((e) => e.expires > now).map((e) => e.claim), lastCount: latest?.claim.count ?? 0 };
    },
    async close() {},
  };
}
