/**
 * Answers kept until the next flush, shared by the GraphQL query cache and the REST mount.
 * Counts change only when a batch is applied and every applied batch is announced on the live
 * bus, so an answer stays right until the next announcement (invalidate()). `maxAgeMs` bounds
 * what announcements cannot see: writes by something else (the 2013 service still running on
 * the same Redis, a reindex) and a bus that was briefly down. An answer computed while a flush
 * was announced is not kept (the generation check). When full, the oldest answer goes.
 */
export interface AnswerCache<T> {
  get(key: string): T | undefined;
  /** Keeps an answer computed since `generation` (see begin()); one that raced a flush is dropped. */
  set(key: string, answer: T, generation: number): void;
  /** The generation to hand to set() for an answer about to be computed. */
  begin(): number;
  invalidate(): void;
  readonly size: number;
}

export function createAnswerCache<T>(opts: { maxAgeMs: number; maxEntries: number }): AnswerCache<T> {
  const entries = new Map<string, { answer: T; at: number }>();
  let generation = 0;
  return {
    get(key) {
      const hit = entries.get(key);
      if (hit === undefined) return undefined;
      if (Date.now() - hit.at > opts.maxAgeMs) {
        entries.delete(key);
        return undefined;
      }
      return hit.answer;
    },
    set(key, answer, started) {
      if (started !== generation) return;
      if (entries.size >= opts.maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(key, { answer, at: Date.now() });
    },
    begin: () => generation,
    invalidate() {
      generation++;
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
