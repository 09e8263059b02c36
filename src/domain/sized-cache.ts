/**
 * A cache bounded by bytes, not entries (pure): each entry is stored with an estimate of what it
 * holds in memory, and when the sum passes `maxBytes` the least recently used entries go until it
 * fits again. An entry larger than the whole budget is not kept at all. Every cache of the service
 * that grows with what clients ask (read plans, zones, answers, documents) is one of these, so
 * its memory is a flag's worth however the requests vary; `stats()` is what /metrics reports.
 *
 * The estimates are deliberately rough (V8 does not say what an object costs): a fixed overhead
 * per entry plus what its strings and arrays hold, measured once with heap snapshots against the
 * real objects (docs/limits.md gives the figures).
 */
export interface CacheStats {
  /** What the cache is called in metrics and logs (plans, zones, answers, …). */
  readonly name: string;
  readonly entries: number;
  readonly bytes: number;
  readonly maxBytes: number;
  /** Entries dropped to make room (or too large to keep), since the start. */
  readonly evictions: number;
}

export interface SizedCache<K, V> {
  get(key: K): V | undefined;
  /** Keeps `value` as `bytes` (an estimate); returns false when it is larger than the whole budget. */
  set(key: K, value: V, bytes: number): boolean;
  has(key: K): boolean;
  delete(key: K): void;
  clear(): void;
  stats(): CacheStats;
}

/** What a Map entry itself costs, key and bookkeeping included, beside its value's estimate. */
export const ENTRY_OVERHEAD_BYTES = 64;

/** A JavaScript string of this length (V8 keeps one-byte strings for ASCII: a header and one byte each). */
export function stringBytes(s: string): number {
  return 16 + s.length;
}

export function createSizedCache<K, V>(name: string, maxBytes: number): SizedCache<K, V> {
  // A Map iterates in insertion order: re-inserting on each hit makes its first entry the least recently used.
  const entries = new Map<K, { value: V; bytes: number }>();
  let bytes = 0;
  let evictions = 0;
  const drop = (key: K) => {
    const e = entries.get(key);
    if (!e) return;
    entries.delete(key);
    bytes -= e.bytes;
  };
  return {
    get(key) {
      const e = entries.get(key);
      if (!e) return undefined;
      entries.delete(key);
      entries.set(key, e);
      return e.value;
    },
    set(key, value, size) {
      drop(key);
      const cost = Math.max(0, size) + ENTRY_OVERHEAD_BYTES;
      if (cost > maxBytes) {
        evictions++;
        return false;
      }
      while (bytes + cost > maxBytes) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        drop(oldest.value);
        evictions++;
      }
      entries.set(key, { value, bytes: cost });
      bytes += cost;
      return true;
    },
    has: (key) => entries.has(key),
    delete: drop,
    clear() {
      entries.clear();
      bytes = 0;
    },
    stats: () => ({ name, entries: entries.size, bytes, maxBytes, evictions }),
  };
}
