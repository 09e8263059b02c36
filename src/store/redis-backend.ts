import { readFileSync } from "node:fs";
import type { Cluster, Redis } from "ioredis";
import type { Backend } from "./backend.js";
import { slotOf, tagForSlot } from "./cluster-slots.js";
import { guardInSlot } from "./keys.js";
import type { PolicyWatch } from "./maxmemory-policy.js";
import type { Write } from "./ops.js";

const APPLY_SCRIPT = readFileSync(new URL("./lua/apply-batch.lua", import.meta.url), "utf8");

type Client = Redis | Cluster;
type WithApply = Client & {
  /** ioredis flattens array arguments one level (Array.prototype.flat): no spread into a call. */
  applyBatch(numKeys: number, keys: string[], args: Array<string | number>): Promise<number>;
};

/**
 * Redis primitives over one ioredis command client. Writes go through a single Lua script per
 * chunk (EVALSHA, loaded on demand), so a chunk is atomic and guarded against re-application.
 */
export function createRedisBackend(client: Client, policy?: PolicyWatch): Backend {
  if (!("applyBatch" in client)) {
    client.defineCommand("applyBatch", { lua: APPLY_SCRIPT });
  }
  const redis = client as WithApply;
  const cluster = "nodes" in redis && typeof redis.nodes === "function" && redis.isCluster;

  const applyScript = async (guardKey: string, writes: readonly Write[], ttl: { guard: number; minute: number }) => {
    const keys: string[] = [guardKey];
    const args: Array<string | number> = [ttl.guard, ttl.minute];
    for (const w of writes) {
      keys.push(w.key);
      appendArgs(args, w);
    }
    return (await redis.applyBatch(keys.length, keys, args)) === 1;
  };

  return {
    name: "redis",
    async applyOnce(guardKey, writes, ttl) {
      if (!cluster) return applyScript(guardKey, writes, ttl);
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
    async hgetallMany(keys) {
      if (keys.length === 1) return [await redis.hgetall(keys[0] as string)];
      // A cluster pipeline must stay within one slot; ioredis sends these in parallel anyway.
      if (cluster) return Promise.all(keys.map((key) => redis.hgetall(key)));
      const pipeline = redis.pipeline();
      for (const key of keys) pipeline.hgetall(key);
      const replies = (await pipeline.exec()) ?? [];
      return replies.map(([err, hash]) => {
        if (err) throw err;
        return hash as Record<string, string>;
      });
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
  args.push(w.expire ? "x" : "h", w.fields.size);
  for (const [field, delta] of w.fields) args.push(field, delta);
}
