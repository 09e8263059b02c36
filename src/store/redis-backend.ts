import { readFileSync } from "node:fs";
import type { Cluster, Redis } from "ioredis";
import type { Backend } from "./backend.js";
import { slotOf, tagForSlot } from "./cluster-slots.js";
import { isUnknownCommand, LeaseLostError, StoreLacksCommand } from "./errors.js";
import { guardInSlot } from "./keys.js";
import type { PolicyWatch } from "./maxmemory-policy.js";
import type { Write } from "./ops.js";
import { TOP_NEEDS } from "./redis-version.js";

const APPLY_SCRIPT = readFileSync(new URL("./lua/apply-batch.lua", import.meta.url), "utf8");
const TOP_SCRIPT = readFileSync(new URL("./lua/top-union.lua", import.meta.url), "utf8");
const RANK_SCRIPT = readFileSync(new URL("./lua/rank-from-hash.lua", import.meta.url), "utf8");

type Client = Redis | Cluster;

interface PendingRead {
  keys: readonly string[];
  resolve(hashes: Array<Record<string, string>>): void;
  reject(err: unknown): void;
}
type WithApply = Client & {
  /** ioredis flattens array arguments one level (Array.prototype.flat): no spread into a call. */
  applyBatch(numKeys: number, keys: string[], args: Array<string | number>): Promise<number>;
  topUnion(numKeys: number, keys: readonly string[], args: Array<string | number>): Promise<Array<string | number>>;
};

/** The top-union script's reply: [count, member1, negated score1, ...]. */
function parseTopReply(reply: Array<string | number>): { count: number; ranked: Array<[string, number]> } {
  const ranked: Array<[string, number]> = [];
  for (let i = 1; i + 1 < reply.length; i += 2) ranked.push([String(reply[i]), -Number(reply[i + 1])]);
  return { count: Number(reply[0]), ranked };
}

/**
 * Redis primitives over one ioredis command client. Writes go through a single Lua script per
 * chunk (EVALSHA, loaded on demand), so a chunk is atomic and guarded against re-application.
 */
export function createRedisBackend(client: Client, policy?: PolicyWatch): Backend {
  if (!("applyBatch" in client)) {
    client.defineCommand("applyBatch", { lua: APPLY_SCRIPT });
  }
  if (!("topUnion" in client)) {
    client.defineCommand("topUnion", { lua: TOP_SCRIPT });
  }
  if (!("rankFromHash" in client)) {
    client.defineCommand("rankFromHash", { lua: RANK_SCRIPT });
  }
  const redis = client as WithApply;
  const cluster = "nodes" in redis && typeof redis.nodes === "function" && redis.isCluster;

  /** The script and the rollup's hashes in one round trip (in a cluster: at once, to their nodes). */
  const topUnion: Backend["topUnion"] = async (keys, weights, first, hashKeys) => {
    // The script adds with weight -1 (counts come out negated: see top-union.lua).
    const args: Array<string | number> = [first, ...weights.map((w) => -w)];
    if (cluster) {
      // The sets share one slot; the rollup's hashes are elsewhere: sent at once, in parallel.
      const [reply, ...hashes] = await Promise.all([
        redis.topUnion(keys.length, keys, args),
        ...hashKeys.map((key) => redis.hgetall(key)),
      ]);
      return { ...parseTopReply(reply as Array<string | number>), hashes: hashes as Array<Record<string, string>> };
    }
    const pipeline = redis.pipeline() as ReturnType<Redis["pipeline"]> & {
      topUnion(numKeys: number, keys: readonly string[], args: Array<string | number>): unknown;
    };
    pipeline.topUnion(keys.length, keys, args);
    for (const key of hashKeys) pipeline.hgetall(key);
    const replies = (await pipeline.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    const [[, reply] = [null, [0]], ...rest] = replies;
    return {
      ...parseTopReply(reply as Array<string | number>),
      hashes: rest.map(([, hash]) => hash as Record<string, string>),
    };
  };

  type Fence = { key: string; owner: string };
  const applyScript = async (
    guardKey: string,
    writes: readonly Write[],
    ttl: { guard: number; minute: number },
    fence?: Fence,
  ) => {
    const keys: string[] = fence ? [guardKey, fence.key] : [guardKey];
    const args: Array<string | number> = [ttl.guard, ttl.minute, fence?.owner ?? ""];
    for (const w of writes) {
      keys.push(w.key);
      appendArgs(args, w);
    }
    const applied = await redis.applyBatch(keys.length, keys, args);
    if (applied === -1) throw new LeaseLostError(`the shard's lease is not held by ${fence?.owner}`);
    return applied === 1;
  };

  // Reads of requests that arrive in the same turn of the event loop go out as one pipeline: one
  // write to Redis and one reply to parse instead of one of each per request. Each socket's data
  // is its own callback (ioredis's auto-pipelining, which flushes on process.nextTick, never sees
  // two requests at once); setImmediate runs once all of them have been handled.
  let pending: PendingRead[] | undefined;
  const flushReads = () => {
    const batch = pending as PendingRead[];
    pending = undefined;
    const pipeline = redis.pipeline();
    for (const read of batch) for (const key of read.keys) pipeline.hgetall(key);
    pipeline.exec().then(
      (replies) => {
        let at = 0;
        for (const read of batch) {
          const hashes: Array<Record<string, string>> = [];
          let failed: unknown;
          for (let i = 0; i < read.keys.length; i++, at++) {
            const [err, hash] = replies?.[at] ?? [new Error("Redis answered fewer replies than commands"), null];
            if (err) failed ??= err;
            else hashes.push(hash as Record<string, string>);
          }
          if (failed === undefined) read.resolve(hashes);
          else read.reject(failed);
        }
      },
      (err: unknown) => {
        for (const read of batch) read.reject(err);
      },
    );
  };
  const hgetallBatched = (keys: readonly string[]) =>
    new Promise<Array<Record<string, string>>>((resolve, reject) => {
      if (pending === undefined) {
        pending = [];
        setImmediate(flushReads);
      }
      pending.push({ keys, resolve, reject });
    });

  return {
    name: "redis",
    async applyOnce(guardKey, writes, ttl, fence) {
      if (!cluster) return applyScript(guardKey, writes, ttl, fence);
      // A cluster script reaches one slot, and the lease lives in its own: there the lease is
      // checked just before the scripts (not atomically with them; decision 5 says what that leaves).
      if (fence && (await redis.get(fence.key)) !== fence.owner) {
        throw new LeaseLostError(`the shard's lease is not held by ${fence.owner}`);
      }
      // No writes: the guard alone (replay's "done" mark), one key, one slot.
      if (writes.length === 0) return applyScript(guardKey, writes, ttl);
      const bySlot = new Map<number, Write[]>();
      for (const w of writes) {
        const slot = slotOf(w.key);
        const group = bySlot.get(slot);
        if (group) group.push(w);
        else bySlot.set(slot, [w]);
      }
      const results = await Promise.all(
        [...bySlot].map(([slot, group]) => applyScript(guardInSlot(guardKey, tagForSlot(slot)), group, ttl)),
      );
      return results.some(Boolean);
    },
    hgetallMany(keys) {
      // A cluster pipeline must stay within one slot; ioredis sends these in parallel anyway.
      if (cluster) return Promise.all(keys.map((key) => redis.hgetall(key)));
      return keys.length === 0 ? Promise.resolve([]) : hgetallBatched(keys);
    },
    smembers: (key) => redis.smembers(key),
    async sizes(requests) {
      const one = ({ type, key }: { type: "set" | "hash"; key: string }) =>
        type === "set" ? redis.scard(key) : redis.hlen(key);
      if (cluster || requests.length <= 1) return Promise.all(requests.map(one));
      const pipeline = redis.pipeline();
      for (const { type, key } of requests) {
        if (type === "set") pipeline.scard(key);
        else pipeline.hlen(key);
      }
      return ((await pipeline.exec()) ?? []).map(([err, n]) => {
        if (err) throw err;
        return n as number;
      });
    },
    async scan(pattern, onKeys) {
      const nodes = cluster ? (redis as Cluster).nodes("master") : [redis];
      for (const node of nodes as Redis[]) {
        let cursor = "0";
        do {
          const [next, found] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
          cursor = next;
          if (found.length > 0) await onKeys(found);
        } while (cursor !== "0");
      }
    },
    async sadd(entries) {
      if (cluster) {
        await Promise.all(entries.map(({ key, member }) => redis.sadd(key, member)));
        return;
      }
      const pipeline = redis.pipeline();
      for (const { key, member } of entries) pipeline.sadd(key, member);
      for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
    },
    async topUnion(keys, weights, first, hashKeys) {
      try {
        return await topUnion(keys, weights, first, hashKeys);
      } catch (err) {
        // The script's only command is ZUNION: on a Redis older than 6.2 it is unknown.
        if (isUnknownCommand(err)) throw new StoreLacksCommand("ZUNION", `Redis ${TOP_NEEDS.join(".")}`, "top");
        throw err;
      }
    },
    async rankFromHashes(items, expireSeconds) {
      if (items.length === 0) return 0;
      if (!cluster) {
        const pipeline = redis.pipeline() as ReturnType<Redis["pipeline"]> & {
          rankFromHash(numKeys: number, keys: string[], args: Array<string | number>): unknown;
        };
        for (const { hash, member, sets, expiring } of items) {
          const args: Array<string | number> = [
            member,
            expiring ? expireSeconds : 0,
            ...sets.map((s) => s.field ?? ""),
          ];
          pipeline.rankFromHash(1 + sets.length, [hash, ...sets.map((s) => s.key)], args);
        }
        let n = 0;
        for (const [err, set] of (await pipeline.exec()) ?? []) {
          if (err) throw err;
          n += Number(set);
        }
        return n;
      }
      // A cluster: the hash and its sets are in different slots, so no one script can hold both.
      let n = 0;
      await Promise.all(
        items.map(async ({ hash, member, sets, expiring }) => {
          const fields = await redis.hgetall(hash);
          const pipe = redis.pipeline();
          for (const { key, field } of sets) {
            const score =
              field === undefined
                ? Object.values(fields).reduce((sum, v) => sum + (Number(v) || 0), 0)
                : Number(fields[field] ?? 0);
            if (!(score > 0)) continue;
            n++;
            // One command per key: a cluster pipeline must stay within one slot, and they share one.
            pipe.zadd(key, score, member);
            if (expiring) pipe.expire(key, expireSeconds);
          }
          for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
        }),
      );
      return n;
    },
    async ping() {
      await redis.ping();
    },
    connected: () => redis.status === "ready",
    maxmemoryPolicy: () => policy?.policy(),
    warnings: () => {
      const w = policy?.warning();
      return w ? [w] : [];
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function appendArgs(args: Array<string | number>, w: Write): void {
  if (w.type === "set") {
    args.push("s", w.members.size);
    for (const member of w.members) args.push(member);
    return;
  }
  if (w.type === "zset") args.push(w.expire ? "y" : "z", w.fields.size);
  else args.push(w.expire ? "x" : "h", w.fields.size);
  for (const [field, delta] of w.fields) args.push(field, delta);
}
