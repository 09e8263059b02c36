/**
 * The few primitives a stats store needs from its storage. Redis implements them with one
 * Lua script per chunk and pipelined reads; the memory backend with maps. Everything above
 * (key layout, batching, reading periods, the index) is shared in stats-store.ts.
 */
import type { Write } from "./ops.js";

export interface Backend {
  readonly name: "redis" | "memory";
  /** Applies the writes atomically unless `guardKey` exists; then sets it. Returns false if it existed. */
  applyOnce(guardKey: string, writes: readonly Write[], ttl: { guard: number; minute: number }): Promise<boolean>;
  hgetallMany(keys: readonly string[]): Promise<Array<Record<string, string>>>;
  smembers(key: string): Promise<string[]>;
  /** Members of sets (SCARD) or fields of hashes (HLEN), in one round trip, in the order asked. */
  sizes(requests: ReadonlyArray<{ type: "set" | "hash"; key: string }>): Promise<number[]>;
  /** Calls `onKeys` with every key matching a glob pattern, a page at a time (never KEYS). */
  scan(pattern: string, onKeys: (keys: string[]) => Promise<void>): Promise<void>;
  sadd(entries: ReadonlyArray<{ key: string; member: string }>): Promise<void>;
  /**
   * The weighted union of sorted sets (one hash slot) ranked by score descending, then member
   * ascending: how many members have a score > 0, and the first `first` of them; and, in the same
   * round trip, the hashes `hashKeys`.
   */
  topUnion(
    keys: readonly string[],
    weights: readonly number[],
    first: number,
    hashKeys: readonly string[],
  ): Promise<{ count: number; ranked: Array<[string, number]>; hashes: Array<Record<string, string>> }>;
  /** ZADD (sets the score, not adds to it); `expireSeconds` (when given) for keys in `expiring`. */
  zadd(
    entries: ReadonlyArray<{ key: string; member: string; score: number }>,
    expiring: ReadonlySet<string>,
    expireSeconds: number,
  ): Promise<void>;
  ping(): Promise<void>;
  /** False while the connection is known to be down (no round trip: for fast paths such as caches). */
  connected(): boolean;
  /** Redis's maxmemory-policy as last read (undefined: not read yet, or not Redis). */
  maxmemoryPolicy(): string | undefined;
  /** Conditions that do not stop the store but put its guarantees at risk (for /readyz). */
  warnings(): string[];
  close(): Promise<void>;
}
