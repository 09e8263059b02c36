/**
 * Turns a batch of coalesced deltas into the primitive writes both stores perform:
 * HINCRBY per (key, field), an expiry on minute keys, SADD into the listing index, and ZINCRBY
 * into the rankings (docs/contract.md §9: a tracked event's accounts per UTC year, month, day, hour and
 * minute; the rollup account is never ranked). Pure: the same batch always yields the same
 * writes, summed per (key, field).
 */

import { ROLLUP_ACCOUNT } from "../domain/names.js";
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

/** A ranking: ZINCRBY member (an account) by delta. */
export interface ZsetWrite {
  type: "zset";
  key: string;
  /** member → delta, summed over the batch. */
  fields: Map<string, number>;
  /** Set on minute sets: they expire with the minute keys. */
  expire: boolean;
}

export type Write = HashWrite | IndexWrite | ZsetWrite;

export interface BatchWriteOptions {
  /** Write the rankings (default true; off only to measure what they cost: bench/top.ts). */
  rankings?: boolean;
}

export function batchWrites(keys: KeySpace, deltas: readonly Delta[], opts: BatchWriteOptions = {}): Write[] {
  const hashes = new Map<string, HashWrite>();
  const sets = new Map<string, IndexWrite>();
  const zsets = new Map<string, ZsetWrite>();
  const rankings = opts.rankings ?? true;

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

  const rank = (key: string, account: string, by: number, expire = false) => {
    let w = zsets.get(key);
    if (!w) {
      w = { type: "zset", key, fields: new Map(), expire };
      zsets.set(key, w);
    }
    w.fields.set(account, (w.fields.get(account) ?? 0) + by);
  };

  for (const d of deltas) {
    const { kind, account, event, year, month, day } = d;
    if (d.kind === "track") {
      const { hour, minute } = d;
      incr(keys.counter(kind, account, event, { year }), month, d.count);
      incr(keys.counter(kind, account, event, { year, month }), day, d.count);
      incr(keys.counter(kind, account, event, { year, month, day }), hour, d.count);
      incr(keys.counter(kind, account, event, { year, month, day, hour }), minute, d.count, true);
      if (rankings && account !== ROLLUP_ACCOUNT) {
        rank(keys.top(event, { year }), account, d.count);
        rank(keys.top(event, { year, month }), account, d.count);
        rank(keys.top(event, { year, month, day }), account, d.count);
        rank(keys.top(event, { year, month, day, hour }), account, d.count);
        rank(keys.top(event, { year, month, day, hour, minute }), account, d.count, true);
      }
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
  return [...hashes.values(), ...zsets.values(), ...sets.values()];
}

/**
 * Splits writes into chunks of at most `maxArgs` script arguments. A key too large for one chunk
 * is split across several (a hash by fields, a set by members): no chunk, however big the batch,
 * grows past `maxArgs`. Deterministic: the same writes always give the same chunks, so a retried
 * batch meets the guards of the chunks it already applied.
 */
export function chunkWrites(writes: readonly Write[], maxArgs: number): Write[][] {
  // A record costs 2 arguments (op, n) plus its fields (2 each) or members (1 each).
  const maxFields = Math.max(1, Math.floor((maxArgs - 2) / 2));
  const maxMembers = Math.max(1, maxArgs - 2);
  const chunks: Write[][] = [];
  let current: Write[] = [];
  let size = 0;
  const place = (w: Write, cost: number) => {
    if (current.length > 0 && size + cost > maxArgs) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(w);
    size += cost;
  };
  for (const w of writes) {
    if (w.type === "hash" || w.type === "zset") {
      let part = new Map<string, number>();
      for (const [field, delta] of w.fields) {
        part.set(field, delta);
        if (part.size === maxFields) {
          place({ type: w.type, key: w.key, fields: part, expire: w.expire }, 2 + part.size * 2);
          part = new Map();
        }
      }
      if (part.size > 0) place({ type: w.type, key: w.key, fields: part, expire: w.expire }, 2 + part.size * 2);
    } else {
      let part = new Set<string>();
      for (const member of w.members) {
        part.add(member);
        if (part.size === maxMembers) {
          place({ type: "set", key: w.key, members: part }, 2 + part.size);
          part = new Set();
        }
      }
      if (part.size > 0) place({ type: "set", key: w.key, members: part }, 2 + part.size);
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
