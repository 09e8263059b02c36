/**
 * The process-wide memory budget (--max-memory): when the JavaScript heap in use reaches it, new
 * expensive work — planning a window that no cache holds, a new live subscription (a `series`
 * window nobody watches yet), a REST read that no cache answers — is refused with an error that
 * says so (GraphQL MEMORY_EXHAUSTED, REST 503) rather than started, so the process slows its
 * intake instead of dying with "JavaScript heap out of memory". Work already running finishes; cached answers are still served; the budget is
 * checked again at the next request, so the refusals end as soon as the collector has freed the
 * heap.
 *
 * One budget per process: commands/serve.ts makes it, counts and logs its refusals, and hands it to
 * the GraphQL and REST mounts, which thus refuse work at the same heap reading. A refusal is
 * counted by the kind of work refused (`MemoryWork`, the `what` label of stats_memory_refusals_total).
 *
 * The heap (not the resident set) is what is measured: it is what V8's limit applies to, and it
 * falls again after a collection, where the resident set of a process rarely does. The default
 * budget is 75% of V8's heap limit (`--max-old-space-size`), which leaves the rest for the work
 * already admitted to finish.
 */
import { getHeapStatistics } from "node:v8";

export class MemoryExhausted extends Error {
  override name = "MemoryExhausted";
}

/**
 * The kinds of work the budget refuses, as counted (the `what` label of stats_memory_refusals_total):
 * planning a window no cache holds, a new live subscription or live window, a REST read no cache answers.
 */
export type MemoryWork = "series_plan" | "live_subscription" | "rest_read";

export interface MemoryBudget {
  readonly limitBytes: number;
  /** The heap in use (read at most every few milliseconds). */
  usedBytes(): number;
  /**
   * Throws MemoryExhausted when the heap is at the budget. `work` is the kind counted; `what` says
   * what was refused, in the error's message and the log line.
   */
  admit(work: MemoryWork, what: string): void;
  /** How many pieces of work were refused since the start. */
  readonly refusals: number;
}

/** A reading is reused this long: admit() is called per request, and reading the heap costs a few µs. */
const READ_EVERY_MS = 20;

/** The budget a `--max-memory` of 0 means: this share of V8's heap limit. */
export const DEFAULT_SHARE_OF_HEAP_LIMIT = 0.75;

export function defaultMemoryLimit(): number {
  return Math.floor(getHeapStatistics().heap_size_limit * DEFAULT_SHARE_OF_HEAP_LIMIT);
}

export interface MemoryBudgetOptions {
  /** --max-memory: 0 for the default share of V8's heap limit. */
  limitBytes: number;
  /** The heap in use (V8's own figure unless told). */
  read?: () => number;
  now?: () => number;
  /** Told each refusal (for a metric and a log line). */
  onRefused?: (work: MemoryWork, what: string, usedBytes: number) => void;
}

export function createMemoryBudget(opts: MemoryBudgetOptions): MemoryBudget {
  const { read = () => getHeapStatistics().used_heap_size, now: clock = Date.now, onRefused } = opts;
  const limit = opts.limitBytes > 0 ? opts.limitBytes : defaultMemoryLimit();
  let at = Number.NEGATIVE_INFINITY;
  let used = 0;
  let refusals = 0;
  const usedBytes = () => {
    const now = clock();
    if (now - at >= READ_EVERY_MS || now < at) {
      used = read();
      at = now;
    }
    return used;
  };
  return {
    limitBytes: limit,
    usedBytes,
    admit(work, what) {
      const u = usedBytes();
      if (u < limit) return;
      refusals++;
      onRefused?.(work, what, u);
      throw new MemoryExhausted(
        `the server is at its memory budget (${mb(u)} of ${mb(limit)} MB in use, --max-memory): ${what} was refused; retry shortly or ask for a smaller window`,
      );
    },
    get refusals() {
      return refusals;
    },
  };
}

const mb = (bytes: number) => Math.round(bytes / 1_048_576);
