/**
 * Flushes coalesced deltas to the store on a timer or when a batch grows large, one batch in
 * flight at a time. A batch that fails is retried with the same id (capped backoff) until the
 * store accepts it, so a lost reply never double-counts; events keep coalescing meanwhile.
 * Listeners hear of a batch only after the store has accepted it.
 */
import { randomUUID } from "node:crypto";
import type { Batch, StatsStore } from "../domain/types.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { Bucket } from "./bucket.js";
import { accumulate, type Classification } from "./classify.js";
import { Coalescer } from "./coalesce.js";
import type { WireEvent } from "./decode.js";

export interface FlusherOptions {
  intervalMs: number;
  /** Flush early once this many distinct deltas are pending. */
  maxBatch: number;
  retry?: { initialMs: number; maxMs: number };
}

export type AppliedListener = (batch: Batch) => void;

export class Flusher {
  /** What the next flush writes; only add() puts anything here. */
  readonly #pending = new Coalescer();
  readonly #runId = randomUUID();
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #inFlightEvents = 0;
  /**
   * A batch the deadline cut off at shutdown, kept whole with its id: it may have been applied
   * (a lost reply), so it is only ever retried as itself, never re-coalesced under a new id.
   */
  #held: Batch | undefined;
  #listeners = new Set<AppliedListener>();

  constructor(
    private readonly store: StatsStore,
    private readonly opts: FlusherOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    // Read at every scrape: a flush can wait for a long interval or retry through an outage.
    metrics.observePending(() => ({ deltas: this.#pending.size, events: this.pendingEvents }));
  }

  start(): void {
    this.#timer = setInterval(() => void this.flush(), this.opts.intervalMs);
  }

  onApplied(listener: AppliedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Adds an event's increments to what the next flush writes (see classify.ts), and starts an
   * early flush when the batch is large. Returns false when its type is tracked as neither.
   */
  add(ev: WireEvent, bucket: Bucket, rules: Classification): boolean {
    if (!accumulate(this.#pending, ev, bucket, rules)) return false;
    if (this.#pending.size >= this.opts.maxBatch && !this.#inFlight) void this.flush();
    return true;
  }

  /** Events received but not yet accepted by the store. */
  get pendingEvents(): number {
    return this.#pending.events + this.#inFlightEvents + (this.#held?.events ?? 0);
  }

  /** Starts a flush unless one is in flight; resolves when the current flush is done. */
  flush(): Promise<void> {
    if (this.#inFlight) return this.#inFlight;
    let batch = this.#held;
    this.#held = undefined;
    if (!batch) {
      if (this.#pending.size === 0) {
        return Promise.resolve();
      }
      const { deltas, events } = this.#pending.drain();
      batch = { id: `${this.#runId}:${this.#seq++}`, deltas, events };
    }
    this.#inFlightEvents = batch.events;
    this.#inFlight = this.#applyWithRetry(batch).finally(() => {
      this.#inFlight = undefined;
      this.#inFlightEvents = 0;
    });
    return this.#inFlight;
  }

  /**
   * Stops the timer and flushes until nothing is pending. Resolves true when everything was
   * applied, false when `deadlineMs` passed with the store still failing.
   */
  async stop(deadlineMs: number): Promise<boolean> {
    clearInterval(this.#timer);
    const deadline = Date.now() + deadlineMs;
    this.#deadline = deadline;
    while ((this.#inFlight || this.#held || this.#pending.size > 0) && Date.now() <= deadline) {
      await this.flush();
    }
    return !this.#inFlight && !this.#held && this.#pending.size === 0;
  }

  #deadline = Number.POSITIVE_INFINITY;

  async #applyWithRetry(batch: Batch): Promise<void> {
    const { initialMs, maxMs } = this.opts.retry ?? { initialMs: 50, maxMs: 2_000 };
    const started = performance.now();
    let delay = initialMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.apply(batch);
        break;
      } catch (err) {
        this.metrics.flushFailures.inc();
        this.metrics.storeAnswered(false);
        if (attempt === 1 || attempt % 20 === 0) {
          this.log.warn({ err, batch: batch.id, attempt, deltas: batch.deltas.length }, "flush failed; retrying");
        }
        if (Date.now() + delay > this.#deadline) {
          // Out of time at shutdown: hold the batch as it is (see #held) and report it pending.
          this.#held = batch;
          return;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, maxMs);
      }
    }
    this.metrics.storeAnswered(true);
    this.metrics.flushSeconds.observe((performance.now() - started) / 1000);
    this.metrics.applied.inc(batch.events);
    for (const listener of this.#listeners) {
      try {
        listener(batch);
      } catch (err) {
        this.log.error({ err }, "flush listener failed");
      }
    }
  }
}
