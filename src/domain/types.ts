/** Domain types shared by the ingest pipeline, the stores and the APIs. */

import type { Fence } from "./shard.js";

export type Kind = "track" | "funnels";

/** A period as the APIs name it: a year, optionally narrowed to a month, day and hour. */
export interface Period {
  year: number;
  month?: number | undefined;
  day?: number | undefined;
  hour?: number | undefined;
}

/** A UTC period of a ranking (docs/contract.md §9): a year, optionally narrowed down to a month, day, hour and minute. */
export interface TopPeriod extends Period {
  minute?: number | undefined;
}

/** A coalesced time-series delta: `count` events of `event` for `account` in one UTC minute. */
export interface TrackDelta {
  kind: "track";
  account: string;
  event: string;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  count: number;
}

/** A coalesced funnel delta: `count` events of `event` with `status` for `account` in one UTC hour. */
export interface FunnelDelta {
  kind: "funnels";
  account: string;
  event: string;
  status: string;
  year: number;
  month: number;
  day: number;
  hour: number;
  count: number;
}

export type Delta = TrackDelta | FunnelDelta;

/** One flush: deltas applied to the store at most once, identified by `id`. */
export interface Batch {
  id: string;
  deltas: Delta[];
  /** How many received events this batch accounts for (for metrics). */
  events: number;
}

/** Hash fields of one counter key: segment (month/day/hour/minute number, or funnel status) → count. */
export type Counts = Map<string, number>;

/**
 * The store every layer talks to. Implemented over Redis and in memory; both pass test/contract.
 * Reads return what exists: missing keys are empty maps / empty lists, never errors.
 */
export interface StatsStore {
  readonly name: "redis" | "memory";
  /**
   * Applies a batch exactly once: re-applying a batch with the same id is a no-op. With a `fence`,
   * only while `fence.owner` holds the shard's lease: else LeaseLostError (store/errors.ts).
   */
  apply(batch: Batch, fence?: Fence): Promise<void>;
  /** The hash of a period: the counts one level below it (months of a year, days of a month, ...). */
  counts(kind: Kind, account: string, event: string, period: Period): Promise<Counts>;
  /** Many periods in one round trip, in the order asked. */
  countsMany(
    requests: ReadonlyArray<{ kind: Kind; account: string; event: string; period: Period }>,
  ): Promise<Counts[]>;
  /**
   * Listings, sorted. Read from the index at most once a second per listing (and again at once
   * when this process adds a name to it): repeating them, or paging through them, is cheap.
   * The array is shared: never mutate it.
   */
  accounts(kind: Kind): Promise<readonly string[]>;
  events(kind: Kind, account: string): Promise<readonly string[]>;
  years(kind: Kind, account: string, event: string): Promise<number[]>;
  /** What grows without bound with the input: accounts, event types, and statuses per funnel event. */
  cardinality(year: number): Promise<Cardinality>;
  /**
   * Ranks a tracked event's accounts over the weighted sum of its ranking sets (docs/contract.md §9), and
   * reads the rollup account's hashes for the window's total: one round trip.
   */
  top(request: TopRequest): Promise<TopCounts>;
  /**
   * Rebuilds the listing index and the rankings from existing counter keys (SCAN, never KEYS).
   * Rankings are set, not added to: running it again changes nothing.
   */
  reindex(): Promise<ReindexReport>;
  /** Resolves when the store answers a round trip; rejects otherwise. */
  ping(): Promise<void>;
  /** False while the connection to the store is known to be down; no round trip. */
  connected(): boolean;
  /** Redis's maxmemory-policy as last read at (re)connect; undefined for memory or before the first read. */
  maxmemoryPolicy(): string | undefined;
  /** Conditions that put the guarantees at risk without stopping the store (e.g. an evicting policy). */
  warnings(): string[];
  close(): Promise<void>;
}

export interface Cardinality {
  /** Accounts in the index (the rollup `all` included), per kind. */
  accounts: Record<Kind, number>;
  /** Event types (those of the rollup account `all`: every type), per kind. */
  events: Record<Kind, number>;
  /** Distinct statuses of each funnel event in `year` (from the rollup account `all`). */
  statuses: Array<{ event: string; statuses: number }>;
}

export interface ReindexReport {
  scanned: number;
  indexed: number;
  skipped: number;
  /** Ranking entries (account, period) written from the hashes. */
  ranked: number;
}

export interface TopRequest {
  event: string;
  sets: ReadonlyArray<{ period: TopPeriod; weight: 1 | -1 }>;
  /** How many accounts to return, the highest counts first (ties: by name). */
  first: number;
  /** Periods of the rollup account's hashes of `event` to read with it (for the total). */
  totals: readonly Period[];
}

export interface TopCounts {
  /** Accounts with a count > 0 over the sets. */
  accountCount: number;
  /** At most `first`: count descending, then name ascending. */
  accounts: Array<{ account: string; count: number }>;
  /** The rollup's hashes, in the order asked. */
  totals: Counts[];
}
