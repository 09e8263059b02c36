/**
 * Every Redis key this service reads or writes is built here, and only here.
 *
 * Counter keys follow the 2013 service's layout exactly (DESIGN.md §3): unpadded numbers,
 * `track:{account}:{event}:{Y}[:{M}[:{D}[:{h}]]]` and `funnels:{account}:{event}:{Y}[:{M}[:{D}]]`.
 * The index keys are ours; they live under `index:` so that a SCAN of `track:*` never meets them.
 * `prefix` (empty in production) isolates tests that share a Redis.
 */
import { NAME_PATTERN } from "../domain/names.js";
import type { Kind, Period } from "./types.js";

export interface KeySpace {
  readonly prefix: string;
  counter(kind: Kind, account: string, event: string, period: Period): string;
  accounts(kind: Kind): string;
  events(kind: Kind, account: string): string;
  years(kind: Kind, account: string, event: string): string;
  guard(batchId: string): string;
  /** SCAN pattern matching every counter key of a kind. */
  scanPattern(kind: Kind): string;
  /** Parses a counter key back; undefined when it is not one of ours. */
  parseCounter(key: string): ParsedCounterKey | undefined;
}

export interface ParsedCounterKey {
  kind: Kind;
  account: string;
  event: string;
  period: Period;
}

const NAME = NAME_PATTERN;
const INT = /^(0|[1-9][0-9]{0,3})$/;

export function createKeySpace(prefix = ""): KeySpace {
  return {
    prefix,
    counter(kind, account, event, p) {
      let key = `${prefix}${kind}:${account}:${event}:${p.year}`;
      if (p.month === undefined) return key;
      key += `:${p.month}`;
      if (p.day === undefined) return key;
      key += `:${p.day}`;
      if (p.hour === undefined) return key;
      return `${key}:${p.hour}`;
    },
    accounts: (kind) => `${prefix}index:${kind}:accounts`,
    events: (kind, account) => `${prefix}index:${kind}:events:${account}`,
    years: (kind, account, event) => `${prefix}index:${kind}:years:${account}:${event}`,
    guard: (batchId) => `${prefix}applied:${batchId}`,
    scanPattern: (kind) => `${prefix}${kind}:*`,
    parseCounter(key) {
      if (!key.startsWith(prefix)) return undefined;
      const parts = key.slice(prefix.length).split(":");
      const [kind, account, event, ...nums] = parts;
      if (kind !== "track" && kind !== "funnels") return undefined;
      if (account === undefined || event === undefined) return undefined;
      if (!NAME.test(account) || !NAME.test(event)) return undefined;
      const maxDepth = kind === "track" ? 4 : 3;
      if (nums.length < 1 || nums.length > maxDepth || !nums.every((n) => INT.test(n))) {
        return undefined;
      }
      const [year, month, day, hour] = nums.map(Number);
      if (year === undefined) return undefined;
      return { kind, account, event, period: { year, month, day, hour } };
    },
  };
}
