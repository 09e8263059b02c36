/**
 * Answers kept until the next flush, shared by the GraphQL query cache and the REST mount.
 * Counts change only when a batch is applied and every applied batch is announced on the live
 * bus, so an answer stays right until the next announcement (invalidate()). `maxAgeMs` bounds
 * what announcements cannot see: writes by something else (the 2013 service still running on
 * the same Redis, a reindex) and a bus that was briefly down. An answer computed while a flush
 * was announced is not kept (the generation check). When full, the answer stored first goes.
 *
 * Only answers asked for twice since the last flush are kept (a doorkeeper): most executed
 * requests are unique (the same document with other variables, other accounts), and keeping
 * each of them until the next flush cost more in allocation and garbage collection than the
 * rare hit saved. The same request asked a second time is kept, and served from memory from
 * its third asking until the next flush.
 *
 * Bounded by entries and by bytes: an answer's estimate is its key (the request: a POST's body
 * included) plus what `sizeOf` says of it; the oldest go first when either bound is passed.
 */
import type { CacheStats } from "../domain/sized-cache.js";

export interface AnswerCache<T> {
  get(key: string): T | undefined;
  /**
   * Keeps an answer computed since `generation` (see begin()) for a key that get() has missed
   * twice since the last flush; others, and one that raced a flush, are dropped.
   */
  set(key: string, answer: T, generation: number): void;
  /** The generation to hand to set() for an answer about to be computed. */
  begin(): number;
  invalidate(): void;
  readonly size: number;
  /** Entries and estimated bytes, for /metrics (stats_cache_bytes{cache=name}). */
  stats(): CacheStats;
}

export interface AnswerCacheOptions<T> {
  maxAgeMs: number;
  maxEntries: number;
  /** What the kept answers and their keys (and the keys asked once) may hold together; default 32 MiB. */
  maxBytes?: number;
  /** An answer's size in bytes (its key is counted apart); default 0 (only keys and overhead count). */
  sizeOf?: (answer: T) => number;
  /** Its name in metrics. */
  name?: string;
}

/** A Map entry with its small wrapper object, beside its key's and answer's bytes. */
const ENTRY_BYTES = 96;

export function createAnswerCache<T>(opts: AnswerCacheOptions<T>): AnswerCache<T> {
  const maxBytes = opts.maxBytes ?? 32 * 1024 * 1024;
  const sizeOf = opts.sizeOf ?? (() => 0);
  const entries = new Map<string, { answer: T; at: number; bytes: number }>();
  /** Keys asked for since the last flush without an answer kept: false once, true twice or more. */
  const asked = new Map<string, boolean>();
  // Keys in the order they were stored: the oldest is the one to drop, found without walking the
  // Map (whose iterator skips every slot deleted since the Map last compacted: thousands of them
  // at the front of a full cache, on every store). A key stored again is in the queue twice; its
  // first place drops it early, which the byte count (read from the entry) does not mind.
  let queue: string[] = [];
  let head = 0;
  let bytes = 0;
  /** The keys in `asked` hold memory too (a POST's key is its body): a fourth of the budget. */
  let askedBytes = 0;
  let evictions = 0;
  let generation = 0;
  const keyBytes = (key: string) => 16 + key.length;
  return {
    get(key) {
      const hit = entries.get(key);
      if (hit !== undefined && Date.now() - hit.at <= opts.maxAgeMs) return hit.answer;
      if (asked.size >= opts.maxEntries || askedBytes > maxBytes / 4) {
        asked.clear();
        askedBytes = 0;
      }
      const seen = asked.get(key);
      if (seen === undefined) askedBytes += keyBytes(key) + ENTRY_BYTES;
      asked.set(key, seen !== undefined);
      return undefined;
    },
    set(key, answer, started) {
      if (started !== generation || opts.maxEntries < 1 || asked.get(key) !== true) return;
      asked.delete(key);
      askedBytes = Math.max(0, askedBytes - keyBytes(key) - ENTRY_BYTES);
      const size = keyBytes(key) + sizeOf(answer) + ENTRY_BYTES;
      if (size > maxBytes) {
        evictions++;
        return;
      }
      const old = entries.get(key);
      if (old) bytes -= old.bytes;
      else queue.push(key);
      entries.set(key, { answer, at: Date.now(), bytes: size });
      bytes += size;
      while ((entries.size > opts.maxEntries || bytes > maxBytes) && head < queue.length) {
        const oldest = queue[head++] as string;
        const e = entries.get(oldest);
        if (!e || oldest === key) continue;
        entries.delete(oldest);
        bytes -= e.bytes;
        evictions++;
      }
      if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
    },
    begin: () => generation,
    invalidate() {
      generation++;
      entries.clear();
      asked.clear();
      queue = [];
      head = 0;
      bytes = 0;
      askedBytes = 0;
    },
    get size() {
      return entries.size;
    },
    stats: () => ({
      name: opts.name ?? "answers",
      entries: entries.size,
      bytes: bytes + askedBytes,
      maxBytes: maxBytes + maxBytes / 4,
      evictions,
    }),
  };
}
