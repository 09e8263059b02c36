/**
 * Replay's pure core: NDJSON lines → chunks of coalesced deltas, each with an id that depends only
 * on what the chunk holds. The same lines (with the same counting rules and run name) always make
 * the same chunk ids and the same deltas, so the store's exactly-once guard (`applied:{id}:{i}`)
 * turns a second application of a chunk into a no-op: a replay cut off half-way and re-run skips
 * every chunk that was applied and applies the rest.
 */
import { createHash, type Hash } from "node:crypto";
import type { Batch } from "../domain/types.js";
import { bucketOf, readEventTime, type YearRange } from "./bucket.js";
import { accumulate, type Classification } from "./classify.js";
import { Coalescer } from "./coalesce.js";
import { type DropReason, decodeJson, MAX_MESSAGE_BYTES } from "./decode.js";

export type RejectReason = DropReason | "missing_time" | "bad_time" | "untracked_type";

export interface Rejection {
  line: number;
  reason: RejectReason;
}

export interface ChunkerOptions {
  rules: Classification;
  /** Lines per chunk: the unit that is applied (and skipped on a re-run) as a whole. */
  linesPerChunk: number;
  /** Distinguishes a deliberate second application of the same data (`--run`). */
  run: string;
  /**
   * Years an event's time may fall in (`--event-years`, as in live ingest; max undefined = the
   * year after the current one). A time outside is `bad_time`. Not part of a chunk's id: the same
   * lines under a narrower range are the same chunk, applied once.
   */
  eventYears?: { min: number; max: number | undefined };
}

/** Feeds lines in order; hands out a Batch every `linesPerChunk` lines and one for the rest at the end. */
export class ReplayChunker {
  #coalescer = new Coalescer();
  #hash: Hash;
  #first = 1;
  #line = 0;

  constructor(private readonly opts: ChunkerOptions) {
    this.#hash = this.#newHash();
  }

  /** Lines read so far. */
  get lines(): number {
    return this.#line;
  }

  /**
   * Adds one line (without its newline). Returns the rejection, if the line is not applied, and
   * the finished chunk when this line completes one.
   */
  add(text: string): { rejected?: RejectReason; detail?: string; chunk?: Batch } {
    this.#line++;
    this.#hash.update(text).update("\n");
    const rejected = this.#count(text);
    return this.#done(rejected);
  }

  /**
   * Hashes part of a line too long to keep (readLines hands its bytes over as they stream past):
   * the chunk's id depends on every byte, as for any other line.
   */
  hashSkipped(bytes: Buffer): void {
    this.#hash.update(bytes);
  }

  /** Counts a line that was too long to read (its bytes went to hashSkipped): rejected as too_large. */
  addTooLong(bytes: number): { rejected: RejectReason; detail?: string; chunk?: Batch } {
    this.#line++;
    this.#hash.update("\n");
    const out = this.#done({ reason: "too_large", detail: `${bytes} bytes, the limit is ${MAX_MESSAGE_BYTES}` });
    return { rejected: "too_large", ...out };
  }

  #done(rejected: { reason: RejectReason; detail?: string } | undefined) {
    const chunk = this.#line - this.#first + 1 >= this.opts.linesPerChunk ? this.#cut() : undefined;
    return {
      ...(rejected ? { rejected: rejected.reason } : {}),
      ...(rejected?.detail ? { detail: rejected.detail } : {}),
      ...(chunk ? { chunk } : {}),
    };
  }

  /** The last, partial chunk (undefined when every line is already in a chunk). */
  end(): Batch | undefined {
    return this.#line >= this.#first ? this.#cut() : undefined;
  }

  #count(text: string): { reason: RejectReason; detail?: string } | undefined {
    if (text.trim() === "") return undefined; // blank lines are allowed and mean nothing
    if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES) return { reason: "too_large" };
    const decoded = decodeJson(text);
    if (!decoded.ok) return { reason: decoded.reason };
    const ev = decoded.event;
    const years = this.#years();
    const at = readEventTime(ev.time, years);
    if (!at.ok) {
      if (at.reason === "missing") return { reason: "missing_time" };
      if (at.reason === "unparseable") return { reason: "bad_time" };
      return { reason: "bad_time", detail: `outside --event-years ${years.min}-${years.max}` };
    }
    return accumulate(this.#coalescer, ev, bucketOf(at.ms), this.opts.rules) ? undefined : { reason: "untracked_type" };
  }

  #years(): YearRange {
    const { min, max } = this.opts.eventYears ?? { min: 1970, max: 9999 };
    return { min, max: max ?? new Date().getUTCFullYear() + 1 };
  }

  #cut(): Batch {
    const digest = this.#hash.digest("hex").slice(0, 24);
    const { deltas, events } = this.#coalescer.drain();
    const run = this.opts.run === "" ? "" : `${this.opts.run}:`;
    const batch = { id: `replay:${run}${digest}:${this.#first}-${this.#line}`, deltas, events };
    this.#first = this.#line + 1;
    this.#hash = this.#newHash();
    return batch;
  }

  #newHash(): Hash {
    // The counting rules are part of a chunk's identity: other rules make other deltas.
    const { trackEvents, funnelEvents } = this.opts.rules;
    return createHash("sha256").update(`${[...trackEvents].sort()}|${[...funnelEvents].sort()}\n`);
  }
}
