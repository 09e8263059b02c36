/**
 * Every Redis key this service reads or writes is built here, and only here.
 *
 * Counter keys follow the 2013 service's layout exactly (docs/contract.md §3): unpadded numbers,
 * `track:{account}:{event}:{Y}[:{M}[:{D}[:{h}]]]` and `funnels:{account}:{event}:{Y}[:{M}[:{D}[:{h}]]]`
 * (the funnel day and hour levels are ours; docs/contract.md §3, §7).
 * The index keys are ours; they live under `index:` so that a SCAN of `track:*` never meets them.
 * So are the exactly-once guards (`applied:`) and the live bus's pub/sub channels (`live:`).
 * The rankings (docs/contract.md §9) are sorted sets `top:{event}:{Y}[:{M}[:{D}[:{h}[:{m}]]]]`, member = account,
 * score = count: `{event}` is a Redis Cluster hash tag, so every set of one event lives in one slot
 * and a window of them is read with one command.
 * `prefix` (empty in production) isolates tests, and services, that share a Redis.
 */
import { isName } from "../domain/names.js";
import type { Kind, Period, TopPeriod } from "../domain/types.js";

export interface KeySpace {
  readonly prefix: string;
  counter(kind: Kind, account: string, event: string, period: Period): string;
  accounts(kind: Kind): string;
  events(kind: Kind, account: string): string;
  years(kind: Kind, account: string, event: string): string;
  guard(batchId: string): string;
  /** The ranking of a tracked event's accounts in one UTC period (year down to minute): a sorted set. */
  top(event: string, period: TopPeriod): string;
  /**
   * The pub/sub channel of a live-bus topic: services sharing a Redis but not a key space never
   * hear each other.
   */
  channel(topic: string): string;
  /**
   * Sorted set of the live ingest processes: member `i/n id state` (state owner or standby), score
   * the time its registration expires (ms, Redis's clock). Readers trim what has expired first.
   */
  shardRegistry(): string;
  /** n of the most recent registration (string), so that shards still show missing once all are gone. */
  shardRegistryCount(): string;
  /**
   * The registry of versions before fencing (member `i/n id`, score: last beat), whose dead
   * entries lived a week: only trimmed now, never read.
   */
  legacyShardRegistry(): string;
  /**
   * The lease of shard i/n: the id of the one process that may count it, expiring unless renewed.
   * `{i/n}` is a hash tag: the lease and its epoch share a Redis Cluster slot (one script uses both).
   */
  shardLease(index: number, count: number): string;
  /** How many times shard i/n's lease was newly claimed (never expires): see store/shard-lease.ts. */
  shardLeaseEpoch(index: number, count: number): string;
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
    top(event, p) {
      let key = `${prefix}top:{${event}}:${p.year}`;
      if (p.month === undefined) return key;
      key += `:${p.month}`;
      if (p.day === undefined) return key;
      key += `:${p.day}`;
      if (p.hour === undefined) return key;
      key += `:${p.hour}`;
      if (p.minute === undefined) return key;
      return `${key}:${p.minute}`;
    },
    channel: (topic) => `${prefix}live:${topic}`,
    shardRegistry: () => `${prefix}ingest:registry`,
    shardRegistryCount: () => `${prefix}ingest:registry:n`,
    legacyShardRegistry: () => `${prefix}ingest:shards`,
    shardLease: (index, count) => `${prefix}ingest:lease:{${index}/${count}}`,
    shardLeaseEpoch: (index, count) => `${prefix}ingest:lease:{${index}/${count}}:epoch`,
    scanPattern: (kind) => `${prefix}${kind}:*`,
    parseCounter(key) {
      if (!key.startsWith(prefix)) return undefined;
      const parts = key.slice(prefix.length).split(":");
      const [kind, account, event, ...nums] = parts;
      if (kind !== "track" && kind !== "funnels") return undefined;
      if (account === undefined || event === undefined) return undefined;
      if (!isName(account) || !isName(event)) return undefined;
      if (nums.length < 1 || nums.length > 4 || !nums.every((n) => INT.test(n))) {
        return undefined;
      }
      const [year, month, day, hour] = nums.map(Number);
      if (year === undefined) return undefined;
      return { kind, account, event, period: { year, month, day, hour } };
    },
  };
}

/**
 * Redis Cluster: the guard of the part of a chunk that falls in one hash slot, made to hash to
 * that slot by a `{tag}` chosen for it (cluster-slots.ts), so one script can check and set it.
 */
export function guardInSlot(guardKey: string, slotTag: string): string {
  return `${guardKey}:{${slotTag}}`;
}
