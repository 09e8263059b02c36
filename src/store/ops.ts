/**
 * Turns a batch of coalesced deltas into the primitive writes both stores perform:
 * HINCRBY per (key, field), an expiry on minute keys, and SADD into the listing index.
 * Pure: the same batch always yields the same writes, summed per (key, field).
 */

import type { Delta } from "../domain/types.js";
import type { KeySpace } from "./keys.js";

export interface HashWrite {
  type: "hash";
  key: string;
  /** field → delta, summed over the batch. */
  fields: Map<string, number>;
  /** Set on minute keys: they expire this many seconds after their last write. */
  expire: boolean;
}

export interface IndexWrite {
  type: "set";
  key: string;
  members: Set<string>;
}

export type Write = HashWrite | IndexWrite;

export function batchWrites(keys: KeySpace, deltas: readonly Delta[]): Write[] {
  const hashes = new Map<string, HashWrite>();
  const sets = new Map<string, IndexWrite>();

  const incr = (key: string, field: string | number, by: number, expire = false) => {
    let w = hashes.get(key);
    if (!w) {
      w = { type: "hash", key, fields: new Map(), expire };
      hashes.set(key, w);
    }
    const f = String(field);
    w.fields.set(f, (w.fields.get(f) ?? 0) + by);
  };
  const add = (key: string, member: string) => {
    let w = sets.get(key);
    if (!w) {
      w = { type: "set", key, members: new Set() };
      sets.set(key, w);
    }
    w.members.add(member);
  };

  for (const d of deltas) {
    const { kind, account, event, year, month, day } = d;
    if (d.kind === "track") {
      incr(keys.counter(kind, account, event, { year }), month, d.count);
      incr(keys.counter(kind, account, event, { year, month }), day, d.count);
      incr(keys.counter(kind, account, event, { year, month, day }), d.hour, d.count);
      incr(keys.counter(kind, account, event, { year, month, day, hour: d.hour }), d.minute, d.count, true);
    } else {
      incr(keys.counter(kind, account, event, { year }), d.status, d.count);
      incr(keys.counter(kind, account, event, { year, month }), d.status, d.count);
      incr(keys.counter(kind, account, event, { year, month, day }), d.status, d.count);
      incr(keys.counter(kind, account, event, { year, month, day, hour: d.hour }), d.status, d.count);
    }
    add(keys.accounts(kind), account);
    add(keys.events(kind, account), event);
    add(keys.years(kind, account, event), String(year));
  }
  return [...hashes.values(), ...sets.values()];
}

/** Splits writes into chunks of at most `maxArgs` script arguments, keeping each key whole. */
export function chunkWrites(writes: readonly Write[], maxArgs: number): Write[][] {
  const chunks: Write[][] = [];
  let current: Write[] = [];
  let size = 0;
  for (const w of writes) {
    const cost = 2 + (w.type === "hash" ? w.fields.size * 2 : w.members.size);
    if (current.length > 0 && size + cost > maxArgs) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(w);
    size += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
