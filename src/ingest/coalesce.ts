/**
 * Coalescing (pure): events accumulate as deltas per (account, event, minute) and per
 * (account, event, status, hour), so a flush writes each counter once however many events it
 * holds. Memory grows with distinct keys, never with event count.
 */
import type { Delta, FunnelDelta, TrackDelta } from "../domain/types.js";
import type { Bucket } from "./bucket.js";

export class Coalescer {
  #deltas = new Map<string, Delta>();
  #events = 0;

  /** Distinct deltas held: the size of the next flush. */
  get size(): number {
    return this.#deltas.size;
  }

  /** Events accounted for since the last drain. */
  get events(): number {
    return this.#events;
  }

  countEvent(): void {
    this.#events++;
  }

  addTrack(account: string, event: string, b: Bucket, count = 1): void {
    const id = `t\0${account}\0${event}\0${b.year}\0${b.month}\0${b.day}\0${b.hour}\0${b.minute}`;
    const existing = this.#deltas.get(id);
    if (existing) {
      existing.count += count;
      return;
    }
    const delta: TrackDelta = { kind: "track", account, event, ...b, count };
    this.#deltas.set(id, delta);
  }

  addFunnel(account: string, event: string, status: string, b: Bucket, count = 1): void {
    const id = `f\0${account}\0${event}\0${status}\0${b.year}\0${b.month}\0${b.day}\0${b.hour}`;
    const existing = this.#deltas.get(id);
    if (existing) {
      existing.count += count;
      return;
    }
    const delta: FunnelDelta = {
      kind: "funnels",
      account,
      event,
      status,
      year: b.year,
      month: b.month,
      day: b.day,
      hour: b.hour,
      count,
    };
    this.#deltas.set(id, delta);
  }

  /** Takes everything accumulated so far and starts empty. */
  drain(): { deltas: Delta[]; events: number } {
    const out = { deltas: [...this.#deltas.values()], events: this.#events };
    this.#deltas = new Map();
    this.#events = 0;
    return out;
  }
}
