import { KINDS, ROLLUP_ACCOUNT } from "../domain/names.js";
import type { Fence } from "../domain/shard.js";
import type { Batch, Counts, ReindexReport, StatsStore, TopPeriod } from "../domain/types.js";
import type { Backend } from "./backend.js";
import type { KeySpace } from "./keys.js";
import { batchWrites, chunkWrites, type Write } from "./ops.js";

export interface StatsStoreOptions {
  /** Seconds a minute key lives after its last write (docs/contract.md §3: 30 days). */
  minuteRetentionSeconds: number;
  /** Seconds a batch guard is kept: a retry later than this would double-count. */
  guardTtlSeconds?: number;
  /** Upper bound of script arguments per chunk (keeps each script short and Lua's stack safe). */
  maxArgsPerChunk?: number;
  /** Keep the account rankings (docs/contract.md §9); default true. Off only to measure their cost (bench/top.ts). */
  rankings?: boolean;
  /** The clock: the listing cache ages by it, and reindex asks it which minute rankings are still within the retention (tests move it; default Date.now). */
  now?: () => number;
}

/** A segment field of a time-series hash: a month, day, hour or minute number, unpadded. */
const INDEX = /^(0|[1-9][0-9]?)$/;

/** How long a listing read from the index is reused (writes by other processes show within it). */
const LISTING_MAX_AGE_MS = 1_000;
/** Listings kept at once (one per kind for accounts, one per account and kind for events). */
const MAX_LISTINGS = 1_000;

export function createStatsStore(backend: Backend, keys: KeySpace, opts: StatsStoreOptions): StatsStore {
  const ttl = { guard: opts.guardTtlSeconds ?? 86_400, minute: opts.minuteRetentionSeconds };
  const maxArgs = opts.maxArgsPerChunk ?? 4_000;
  const rankings = opts.rankings ?? true;
  const now = opts.now ?? Date.now;

  const toCounts = (hash: Record<string, string>): Counts => {
    const counts: Counts = new Map();
    // for-in rather than Object.entries: no [field, value] pair per field on the read hot path.
    for (const field in hash) {
      const n = Number(hash[field]);
      if (Number.isFinite(n) && n !== 0) counts.set(field, n);
    }
    return counts;
  };

  const sortedNames = (names: string[]) => names.sort();

  // Listing cache: key → sorted names. Concurrent readers share one SMEMBERS.
  const listings = new Map<string, { at: number; names: Promise<readonly string[]>; sorted?: readonly string[] }>();
  const listing = (key: string): Promise<readonly string[]> => {
    const hit = listings.get(key);
    if (hit && now() - hit.at <= LISTING_MAX_AGE_MS) return hit.names;
    if (listings.size >= MAX_LISTINGS) listings.delete(listings.keys().next().value as string);
    const entry: { at: number; names: Promise<readonly string[]>; sorted?: readonly string[] } = {
      at: now(),
      names: backend.smembers(key).then(sortedNames),
    };
    listings.set(key, entry);
    entry.names.then(
      (sorted) => {
        entry.sorted = sorted;
      },
      () => {
        if (listings.get(key) === entry) listings.delete(key);
      },
    );
    return entry.names;
  };
  /** After this process wrote to an index set: forget the listing if it lacks a name just added. */
  const forgetStale = (writes: readonly Write[]) => {
    for (const w of writes) {
      if (w.type !== "set") continue;
      const entry = listings.get(w.key);
      if (!entry) continue;
      if (!entry.sorted) {
        listings.delete(w.key);
        continue;
      }
      for (const member of w.members) {
        if (!contains(entry.sorted, member)) {
          listings.delete(w.key);
          break;
        }
      }
    }
  };

  /**
   * The rankings of a page of time-series keys, from their hashes (docs/contract.md §9): each ranking entry
   * (account, UTC period) is one field of one hash (the year's is the sum of its months), so it is
   * SET from it (ZADD), never added to: a second run writes the same values. The hash is read with
   * the writes in one script where it can be (one Redis: an increment a flush makes meanwhile is
   * never overwritten). Minute rankings only for hours within the minute retention, expiring like
   * the writes' do.
   */
  const rank = async (found: readonly string[]): Promise<number> => {
    const parsed = found.flatMap((key) => {
      const p = keys.parseCounter(key);
      return p && p.kind === "track" && p.account !== ROLLUP_ACCOUNT ? [{ key, p }] : [];
    });
    if (parsed.length === 0) return 0;
    // Which fields each hash has (the sets to write); their values are read again with the writes.
    const hashes = await backend.hgetallMany(parsed.map(({ key }) => key));
    const oldestHour = now() - ttl.minute * 1000;
    const items = parsed.flatMap(({ key, p }, i) => {
      const { account, event, period } = p;
      const { year, month, day, hour } = period;
      if (hour !== undefined && Date.UTC(year, (month ?? 1) - 1, day, hour) <= oldestHour) return [];
      const sets: Array<{ key: string; field: string | undefined }> = [];
      for (const field of Object.keys(hashes[i] ?? {})) {
        const child = Number(field);
        if (!INDEX.test(field) || !Number.isInteger(child)) continue;
        const at: TopPeriod =
          month === undefined
            ? { year, month: child }
            : day === undefined
              ? { year, month, day: child }
              : hour === undefined
                ? { year, month, day, hour: child }
                : { year, month, day, hour, minute: child };
        sets.push({ key: keys.top(event, at), field });
      }
      if (month === undefined) sets.push({ key: keys.top(event, { year }), field: undefined });
      return sets.length > 0 ? [{ hash: key, member: account, sets, expiring: hour !== undefined }] : [];
    });
    return backend.rankFromHashes(items, ttl.minute);
  };

  return {
    name: backend.name,
    async apply(batch: Batch, fence?: Fence) {
      const chunks = chunkWrites(batchWrites(keys, batch.deltas, { rankings }), maxArgs);
      const lease = fence && { key: keys.shardLease(fence.shard.index, fence.shard.count), owner: fence.owner };
      // Chunks carry their own guard, so a retry after a partial failure re-applies only the
      // chunks Redis never ran.
      for (const [i, writes] of chunks.entries()) {
        await backend.applyOnce(keys.guard(`${batch.id}:${i}`), writes, ttl, lease);
        forgetStale(writes);
      }
    },
    async counts(kind, account, event, period) {
      const [hash] = await backend.hgetallMany([keys.counter(kind, account, event, period)]);
      return toCounts(hash ?? {});
    },
    async countsMany(requests) {
      const hashes = await backend.hgetallMany(requests.map((r) => keys.counter(r.kind, r.account, r.event, r.period)));
      return hashes.map(toCounts);
    },
    accounts: (kind) => listing(keys.accounts(kind)),
    events: (kind, account) => listing(keys.events(kind, account)),
    async years(kind, account, event) {
      const years = await backend.smembers(keys.years(kind, account, event));
      return years.map(Number).sort((a, b) => a - b);
    },
    async cardinality(year) {
      const funnelEvents = await backend.smembers(keys.events("funnels", "all"));
      const sizes = await backend.sizes([
        { type: "set", key: keys.accounts("track") },
        { type: "set", key: keys.accounts("funnels") },
        { type: "set", key: keys.events("track", "all") },
        { type: "set", key: keys.events("funnels", "all") },
        ...funnelEvents.map((event) => ({
          type: "hash" as const,
          key: keys.counter("funnels", "all", event, { year }),
        })),
      ]);
      const [track = 0, funnels = 0, trackEvents = 0, funnelTypes = 0, ...statuses] = sizes;
      return {
        accounts: { track, funnels },
        events: { track: trackEvents, funnels: funnelTypes },
        statuses: funnelEvents.map((event, i) => ({ event, statuses: statuses[i] ?? 0 })),
      };
    },
    async top(req) {
      const { count, ranked, hashes } = await backend.topUnion(
        req.sets.map((s) => keys.top(req.event, s.period)),
        req.sets.map((s) => s.weight),
        req.first,
        req.totals.map((p) => keys.counter("track", ROLLUP_ACCOUNT, req.event, p)),
      );
      return {
        accountCount: count,
        accounts: ranked.map(([account, n]) => ({ account, count: n })),
        totals: hashes.map(toCounts),
      };
    },
    async reindex(): Promise<ReindexReport> {
      const report = { scanned: 0, indexed: 0, skipped: 0, ranked: 0 };
      for (const kind of KINDS) {
        await backend.scan(keys.scanPattern(kind), async (found) => {
          const entries: Array<{ key: string; member: string }> = [];
          for (const key of found) {
            report.scanned++;
            const parsed = keys.parseCounter(key);
            if (!parsed) {
              report.skipped++;
              continue;
            }
            const { account, event, period } = parsed;
            report.indexed++;
            entries.push(
              { key: keys.accounts(parsed.kind), member: account },
              { key: keys.events(parsed.kind, account), member: event },
              { key: keys.years(parsed.kind, account, event), member: String(period.year) },
            );
          }
          if (entries.length > 0) await backend.sadd(entries);
          if (kind === "track" && rankings) report.ranked += await rank(found);
        });
      }
      // The index was written around the listing cache: read it afresh.
      listings.clear();
      return report;
    },
    ping: () => backend.ping(),
    connected: () => backend.connected(),
    maxmemoryPolicy: () => backend.maxmemoryPolicy(),
    warnings: () => backend.warnings(),
    close: () => backend.close(),
  };
}

/** Binary search in names sorted by code unit. */
function contains(sorted: readonly string[], name: string): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid] as string;
    if (v === name) return true;
    if (v < name) lo = mid + 1;
    else hi = mid;
  }
  return false;
}
