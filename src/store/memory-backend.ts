import type { Backend } from "./backend.js";

/**
 * An in-process stand-in for Redis with the same semantics the store relies on (atomic guarded
 * batches, hash counters, sets, expiry). For demos and local use: nothing is persisted.
 */
export function createMemoryBackend(now: () => number = Date.now): Backend {
  const hashes = new Map<string, Map<string, number>>();
  const sets = new Map<string, Set<string>>();
  const zsets = new Map<string, Map<string, number>>();
  const expiries = new Map<string, number>();

  const alive = (key: string) => {
    const at = expiries.get(key);
    if (at !== undefined && at <= now()) {
      hashes.delete(key);
      sets.delete(key);
      zsets.delete(key);
      expiries.delete(key);
    }
  };

  const hgetall = (keys: readonly string[]) =>
    keys.map((key) => {
      alive(key);
      const hash = hashes.get(key);
      return hash ? Object.fromEntries([...hash].map(([f, n]) => [f, String(n)])) : {};
    });

  const globToRegExp = (glob: string) =>
    new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
    );

  return {
    name: "memory",
    async applyOnce(guardKey, writes, ttl) {
      alive(guardKey);
      if (sets.has(guardKey)) return false;
      for (const w of writes) {
        alive(w.key);
        if (w.type === "set") {
          const set = sets.get(w.key) ?? new Set<string>();
          for (const m of w.members) set.add(m);
          sets.set(w.key, set);
          continue;
        }
        const table = w.type === "zset" ? zsets : hashes;
        const hash = table.get(w.key) ?? new Map<string, number>();
        for (const [field, delta] of w.fields) hash.set(field, (hash.get(field) ?? 0) + delta);
        table.set(w.key, hash);
        if (w.expire) expiries.set(w.key, now() + ttl.minute * 1000);
      }
      sets.set(guardKey, new Set(["1"]));
      expiries.set(guardKey, now() + ttl.guard * 1000);
      return true;
    },
    hgetallMany: async (keys) => hgetall(keys),
    async smembers(key) {
      alive(key);
      return [...(sets.get(key) ?? [])];
    },
    async sizes(requests) {
      return requests.map(({ type, key }) => {
        alive(key);
        return (type === "set" ? sets.get(key)?.size : hashes.get(key)?.size) ?? 0;
      });
    },
    async scan(pattern, onKeys) {
      const re = globToRegExp(pattern);
      const found = [...hashes.keys(), ...sets.keys(), ...zsets.keys()].filter((k) => re.test(k));
      if (found.length > 0) await onKeys(found);
    },
    async sadd(entries) {
      for (const { key, member } of entries) {
        const set = sets.get(key) ?? new Set<string>();
        set.add(member);
        sets.set(key, set);
      }
    },
    async topUnion(keys, weights, first, hashKeys) {
      const sum = new Map<string, number>();
      keys.forEach((key, i) => {
        alive(key);
        const w = weights[i] ?? 1;
        for (const [member, n] of zsets.get(key) ?? []) sum.set(member, (sum.get(member) ?? 0) + w * n);
      });
      const all = [...sum].filter(([, n]) => n > 0);
      all.sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
      return { count: all.length, ranked: all.slice(0, first), hashes: hgetall(hashKeys) };
    },
    async zadd(entries, expiring, expireSeconds) {
      for (const { key, member, score } of entries) {
        alive(key);
        const zset = zsets.get(key) ?? new Map<string, number>();
        zset.set(member, score);
        zsets.set(key, zset);
        if (expiring.has(key)) expiries.set(key, now() + expireSeconds * 1000);
      }
    },
    async ping() {},
    connected: () => true,
    maxmemoryPolicy: () => undefined,
    warnings: () => [],
    async close() {},
  };
}
