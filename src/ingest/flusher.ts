/**
 * Flushes coalesced deltas to the store on a timer or when a batch grows large, one batch in
 * flight at a time. A batch that fails is retried with the same id (capped backoff), so a lost
 * reply never double-counts; events keep coalescing meanwhile. Listeners hear of a batch only
 * after the store has accepted it.
 *
 * How long a batch is retried depends on why it failed (store/errors.ts): while the store is
 * unreachable or refuses every write (OOM, READONLY, ...) it is retried until it applies; a batch
 * the store rejects for itself (a key of the wrong type, a bug) is set aside after
 * REJECTED_ATTEMPTS tries — kept with its id, retried every `setAsideRetryMs`, reported — so the
 * events behind it are not stalled. Every failure is counted (stats_flush_errors_total), logged,
 * and makes `status()` (hence /readyz) not ok until a flush succeeds again.
 *
 * Eager mode (`eager`, --flush-eager): the interval is a latency floor (an event waits for the
 * timer's next tick, up to a whole interval), so instead an event that finds no flush in flight
 * starts one at once — after the current I/O turn, so events received together go together — and
 * the events that arrive while a flush is in flight go in one batch as soon as it is done. Light
 * load: each event is written within a store round trip. Heavy load: still one flush in flight at
 * a time, each coalescing what arrived during the previous one, so the write rate is bounded by
 * the store's round trip (and the batch by --max-batch) rather than by the interval, whose timer
 * keeps running as a backstop (and for retries of batches set aside). Same batches, same ids,
 * same retries: exactly-once holds as in interval mode.
 */
import { randomUUID } from "node:crypto";
import type { Fence } from "../domain/shard.js";
import type { Batch, StatsStore } from "../domain/types.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { type ClassifiedError, classifyStoreError, LeaseLostError } from "../store/errors.js";
import type { Bucket } from "./bucket.js";
import { accumulate, type Classification } from "./classify.js";
import { Coalescer } from "./coalesce.js";
import type { WireEvent } from "./decode.js";

export interface FlusherOptions {
  intervalMs: number;
  /** Flush as soon as no flush is in flight (see the class comment); default false. */
  eager?: boolean;
  /** Flush early once this many distinct deltas are pending. */
  maxBatch: number;
  retry?: { initialMs: number; maxMs: number };
  /** How often a batch set aside (rejected by the store) is tried again. Default 10 s. */
  setAsideRetryMs?: number;
  /** The shard lease writes need (see the class comment); none = writes are not fenced. */
  fence?: FenceSource;
}

export interface FenceSource {
  /** The fence of the next write; undefined while this process does not own its shard (nothing is written). */
  current(): Fence | undefined;
  /**
   * A write was refused for the lease: true when it is this process's again (retry), false when
   * another's (drop), undefined when the store did not answer (retry later, as for an outage).
   */
  confirm(): Promise<boolean | undefined>;
}

/** Attempts a batch the store rejects for itself gets before it is set aside. */
export const REJECTED_ATTEMPTS = 3;

export type FlushStatus = { ok: true } | { ok: false; reason: string };

export type AppliedListener = (batch: Batch) => void;

export class Flusher {
  /** What the next flush writes; only add() puts anything here. */
  readonly #pending = new Coalescer();
  readonly #runId = randomUUID();
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Eager mode: a flush is due after this I/O turn. */
  #soon: NodeJS.Immediate | undefined;
  #stopped = false;
  #inFlight: Promise<void> | undefined;
  #inFlightEvents = 0;
  /**
   * A batch the deadline cut off at shutdown, kept whole with its id: it may have been applied
   * (a lost reply), so it is only ever retried as itself, never re-coalesced under a new id.
   */
  #held: Batch | undefined;
  #listeners = new Set<AppliedListener>();
  /** Batches the store rejected (see the class comment), oldest first, with their ids. */
  #setAside: Batch[] = [];
  #setAsideTriedAt = 0;
  #setAsideRetryMs: number;
  /** The last failure, until a flush succeeds. */
  #failing: (ClassifiedError & { since: number }) | undefined;

  constructor(
    private readonly store: StatsStore,
    private readonly opts: FlusherOptions,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    // Read at every scrape: a flush can wait for a long interval or retry through an outage.
    this.#setAsideRetryMs = opts.setAsideRetryMs ?? 10_000;
    metrics.observePending(() => ({ deltas: this.#pending.size, events: this.pendingEvents }));
    metrics.observeFlush(() => ({
      failing: this.#failing !== undefined,
      setAsideEvents: this.#setAside.reduce((n, b) => n + b.events, 0),
    }));
  }

  /** Not ok while flushes are failing or a batch is set aside; the reason says which and why. */
  status(): FlushStatus {
    const failing = this.#failing;
    if (failing) {
      const what = failing.kind === "unreachable" ? "store unreachable" : `store ${failing.kind} the write`;
      const secs = Math.round((Date.now() - failing.since) / 1000);
      return { ok: false, reason: `flushes failing for ${secs} s (${what}: ${failing.message})` };
    }
    if (this.#setAside.length > 0) {
      const events = this.#setAside.reduce((n, b) => n + b.events, 0);
      return {
        ok: false,
        reason: `${this.#setAside.length} batch(es) of ${events} events rejected by the store and set aside (see the log)`,
      };
    }
    return { ok: true };
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
    else if (this.opts.eager && !this.#inFlight) this.#flushSoon();
    return true;
  }

  #flushSoon(): void {
    if (this.#soon || this.#stopped) return;
    this.#soon = setImmediate(() => {
      this.#soon = undefined;
      void this.flush();
    });
  }

  /** Events received but not yet accepted by the store. */
  get pendingEvents(): number {
    let setAside = 0;
    for (const b of this.#setAside) setAside += b.events;
    return this.#pending.events + this.#inFlightEvents + (this.#held?.events ?? 0) + setAside;
  }

  /**
   * Drops everything not yet written (pending, held, set aside): this process lost its shard's
   * lease, and what it holds may be counted by the new owner. Counted in stats_events_fenced_total.
   * A batch in flight is dropped by its own retry loop.
   */
  discard(): number {
    const { events } = this.#pending.drain();
    let dropped = events + (this.#held?.events ?? 0);
    this.#held = undefined;
    for (const b of this.#setAside.splice(0)) dropped += b.events;
    if (dropped > 0) this.metrics.eventsFenced.inc(dropped);
    return dropped;
  }

  /** Starts a flush unless one is in flight; resolves when the current flush is done. */
  flush(): Promise<void> {
    if (this.#inFlight) return this.#inFlight;
    if (this.opts.fence && !this.opts.fence.current()) {
      // Not the owner (a standby, or the lease was lost): whatever arrived is not ours to write.
      const dropped = this.discard();
      if (dropped > 0) this.log.warn({ events: dropped }, "not the shard's owner: events dropped unwritten");
      return Promise.resolve();
    }
    let batch = this.#held;
    this.#held = undefined;
    if (!batch && this.#setAside.length > 0 && Date.now() - this.#setAsideTriedAt >= this.#setAsideRetryMs) {
      this.#setAsideTriedAt = Date.now();
      batch = this.#setAside.shift();
    }
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
      // What arrived meanwhile goes at once (stop() flushes on its own).
      if (this.opts.eager && this.#pending.size > 0) this.#flushSoon();
    });
    return this.#inFlight;
  }

  /**
   * Stops the timer and flushes until nothing is pending. Resolves true when everything was
   * applied, false when `deadlineMs` passed with the store still failing.
   */
  async stop(deadlineMs: number): Promise<boolean> {
    clearInterval(this.#timer);
    this.#stopped = true;
    clearImmediate(this.#soon);
    this.#soon = undefined;
    const deadline = Date.now() + deadlineMs;
    this.#deadline = deadline;
    // Batches set aside get one more try each, after everything else.
    let lastTries = this.#setAside.length;
    this.#setAsideRetryMs = 0;
    while ((this.#inFlight || this.#held || this.#pending.size > 0 || lastTries > 0) && Date.now() <= deadline) {
      if (!this.#inFlight && !this.#held && this.#pending.size === 0) lastTries--;
      await this.flush();
    }
    return !this.#inFlight && !this.#held && this.#pending.size === 0 && this.#setAside.length === 0;
  }

  #deadline = Number.POSITIVE_INFINITY;

  async #applyWithRetry(batch: Batch): Promise<void> {
    const { initialMs, maxMs } = this.opts.retry ?? { initialMs: 50, maxMs: 2_000 };
    const started = performance.now();
    let delay = initialMs;
    let rejected = 0;
    let leaseRetries = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const fence = this.opts.fence;
        if (fence) {
          const current = fence.current();
          if (!current) throw new LeaseLostError("this process does not own its shard");
          await this.store.apply(batch, current);
        } else await this.store.apply(batch);
        break;
      } catch (err) {
        if (err instanceof LeaseLostError && this.opts.fence) {
          const verdict = this.opts.fence.current() ? await this.opts.fence.confirm() : false;
          // Taken back (it had lapsed, nobody held it since): retry. A few times at most in a row.
          if (verdict === true && ++leaseRetries <= 3) continue;
          if (verdict === undefined) {
            // The lease's Redis did not answer: wait and ask again, as through any outage.
            if (Date.now() + delay > this.#deadline) {
              this.#held = batch;
              return;
            }
            await new Promise((r) => setTimeout(r, delay));
            delay = Math.min(delay * 2, maxMs);
            continue;
          }
          this.metrics.eventsFenced.inc(batch.events);
          this.log.error(
            { batch: batch.id, events: batch.events, err: err.message },
            "the shard's lease is another process's: batch dropped unwritten (the new owner counts from its take-over)",
          );
          return;
        }
        const why = classifyStoreError(err);
        this.metrics.flushFailures.inc();
        this.metrics.flushErrors.inc({ kind: why.kind, code: why.code });
        if (this.#failing?.code !== why.code) this.#failing = { ...why, since: this.#failing?.since ?? Date.now() };
        const context = { err: why.message, code: why.code, kind: why.kind, batch: batch.id, attempt };
        if (why.kind === "rejected" && ++rejected >= REJECTED_ATTEMPTS) {
          this.#setAside.push(batch);
          this.log.error(
            { ...context, events: batch.events, deltas: batch.deltas.length, setAside: this.#setAside.length },
            "the store rejected this batch: set aside (kept, retried now and then); later events go on",
          );
          return;
        }
        if (attempt === 1 || attempt % 20 === 0) {
          const line = { ...context, deltas: batch.deltas.length };
          if (why.kind === "unreachable") this.log.warn(line, "flush failed; retrying");
          else this.log.error(line, "the store refuses writes; retrying until it accepts them (see /readyz)");
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
    if (this.#failing) {
      this.log.info({ code: this.#failing.code, failingMs: Date.now() - this.#failing.since }, "flushes succeed again");
      this.#failing = undefined;
    }
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
