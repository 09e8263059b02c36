/**
 * Answers kept until the next flush, shared by the GraphQL query cache and the REST mount.
 * Counts change only when a batch is applied and every applied batch is announced on the live
 * bus, so an answer stays right until the next announcement (invalidate()). `maxAgeMs` bounds
 * what announcements cannot see: writes by something else (the 2013 service still running on
 * the same Redis, a reindex) and a bus that was briefly down. An answer computed while a flush
 * was announced is not kept (the generation check). When full, the oldest answer goes.
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
  let generation = 0;
  return {
    get(key) {
      const hit = entries.get(key);
      if (hit !== undefined) {
        if (Date.now() - hit.at <= opts.maxAgeMs) return hit.answer;
        entries.delete(key);
      }
      if (asked.size >= opts.maxEntries) asked.clear();
      asked.set(key, asked.has(key));
      return undefined;
    },
    set(key, answer, started) {
      if (started !== generation || asked.get(key) !== true) return;
      asked.delete(key);
      if (entries.size >= opts.maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(key, { answer, at: Date.now() });
    },
    begin: () => generation,
    invalidate() {
      generation++;
      entries.clear();
      asked.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
