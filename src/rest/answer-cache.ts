/**
 * REST answers kept until the next flush. Counts change only when a batch is applied and every
 * applied batch is announced on the live bus, so an answer stays right until the next
 * announcement. `maxAgeMs` bounds what announcements cannot see: writes by something else (the
 * 2013 service still running on the same Redis, a reindex) and a bus that was briefly down.
 * Only 200 answers are kept: an outage is never cached, and never hidden for longer than maxAgeMs.
 */
export interface CachedAnswer {
  body: string;
  type: string;
}

export interface AnswerCache {
  get(key: string): CachedAnswer | undefined;
  /** Keeps an answer computed since `generation` (see begin()); one that raced a flush is dropped. */
  set(key: string, answer: CachedAnswer, generation: number): void;
  /** The generation to hand to set() for an answer about to be computed. */
  begin(): number;
  invalidate(): void;
}

export function createAnswerCache(opts: { maxAgeMs: number; maxEntries: number }): AnswerCache {
  let entries = new Map<string, CachedAnswer & { at: number }>();
  let generation = 0;
  return {
    get(key) {
      const hit = entries.get(key);
      if (hit === undefined) return undefined;
      if (Date.now() - hit.at > opts.maxAgeMs) {
        entries.delete(key);
        return undefined;
      }
      return hit;
    },
    set(key, answer, started) {
      if (started !== generation) return;
      if (entries.size >= opts.maxEntries) entries = new Map();
      entries.set(key, { ...answer, at: Date.now() });
    },
    begin: () => generation,
    invalidate() {
      generation++;
      entries = new Map();
    },
  };
}
