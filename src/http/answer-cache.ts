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
 */
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
}

export function createAnswerCache<T>(opts: { maxAgeMs: number; maxEntries: number }): AnswerCache<T> {
  const entries = new Map<string, { answer: T; at: number }>();
  /** Keys asked for since the last flush without an answer kept: false once, true twice or more. */
  const asked = new Map<string, boolean>();
  // Keys in the order they were first stored, in a ring of maxEntries slots: the oldest is the
  // one to drop, found without walking the Map (whose iterator skips every slot deleted since
  // the Map last compacted: thousands of them at the front of a full cache, on every store).
  // An expired answer stays (unused) until it is dropped or stored again, so the ring and the
  // Map always hold the same keys.
  const order: string[] = [];
  let oldest = 0;
  let generation = 0;
  return {
    get(key) {
      const hit = entries.get(key);
      if (hit !== undefined && Date.now() - hit.at <= opts.maxAgeMs) return hit.answer;
      if (asked.size >= opts.maxEntries) asked.clear();
      asked.set(key, asked.has(key));
      return undefined;
    },
    set(key, answer, started) {
      if (started !== generation || opts.maxEntries < 1 || asked.get(key) !== true) return;
      asked.delete(key);
      const entry = { answer, at: Date.now() };
      if (entries.has(key)) {
        entries.set(key, entry);
        return;
      }
      if (order.length < opts.maxEntries) order.push(key);
      else {
        entries.delete(order[oldest] as string);
        order[oldest] = key;
        oldest = (oldest + 1) % opts.maxEntries;
      }
      entries.set(key, entry);
    },
    begin: () => generation,
    invalidate() {
      generation++;
      entries.clear();
      asked.clear();
      order.length = 0;
      oldest = 0;
    },
    get size() {
      return entries.size;
    },
  };
}
