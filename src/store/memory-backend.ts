import type { Backend } from "./backend.js";

/**
 * An in-process stand-in for Redis with the same semantics the store relies on (atomic guarded
 * batches, hash counters, sets, expiry). For demos and local use: nothing is persisted.
 */
export function createMemoryBackend(now: () => number = Date.now): Backend {
  const hashes = new Map<string, Map<string, number>>();
  const sets = new Map<string, Set<string>>();
  const expiries = new Map<string, number>();

  const alive = (key: string) => {
    const at = expiries.get(key);
    if (at !== undefined && at <= now()) {
      hashes.delete(key);
      sets.delete(key);
      expiries.delete(key);
    }
  };

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
        const hash = hashes.get(w.key) ?? new Map<string, number>();
        for (const [field, delta] of w.fields) hash.set(field, (hash.get(field) ?? 0) + delta);
        hashes.set(w.key, hash);
        if (w.expire) expiries.set(w.key, now() + ttl.minute * 1000);
      }
      sets.set(guardKey, new Set(["1"]));
      expiries.set(guardKey, now() + ttl.guard * 1000);
      return true;
    },
    async hgetallMany(keys) {
      return keys.map((key) => {
        alive(key);
        const hash = hashes.get(key);
        return hash ? Object.fromEntries([...hash].map(([f, n]) => [f, String(n)])) : {};
      });
    },
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
      const found = [...hashes.keys(), ...sets.keys()].filter((k) => re.test(k));
      if (found.length > 0) await onKeys(found);
    },
    async sadd(entries) {
      for (const { key, member } of entries) {
        const set = sets.get(key) ?? new Set<string>();
        set.add(member);
        sets.set(key, set);
      }
    },
    async ping() {},
    connected: () => true,
    maxmemoryPolicy: () => undefined,
    warnings: () => [],
    async close() {},
  };
}
