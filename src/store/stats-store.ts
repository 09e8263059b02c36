import type { Backend } from "./backend.js";
import type { KeySpace } from "./keys.js";
import { batchWrites, chunkWrites } from "./ops.js";
import type { Batch, Counts, Kind, ReindexReport, StatsStore } from "./types.js";

export interface StatsStoreOptions {
  /** Seconds a minute key lives after its last write (DESIGN §3: 30 days). */
  minuteRetentionSeconds: number;
  /** Seconds a batch guard is kept: a retry later than this would double-count. */
  guardTtlSeconds?: number;
  /** Upper bound of script arguments per chunk (keeps each script short and Lua's stack safe). */
  maxArgsPerChunk?: number;
}

const KINDS: readonly Kind[] = ["track", "funnels"];

export function createStatsStore(backend: Backend, keys: KeySpace, opts: StatsStoreOptions): StatsStore {
  const ttl = { guard: opts.guardTtlSeconds ?? 86_400, minute: opts.minuteRetentionSeconds };
  const maxArgs = opts.maxArgsPerChunk ?? 4_000;

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

  return {
    name: backend.name,
    async apply(batch: Batch) {
      const chunks = chunkWrites(batchWrites(keys, batch.deltas), maxArgs);
      // Chunks carry their own guard, so a retry after a partial failure re-applies only the
      // chunks Redis never ran.
      for (const [i, writes] of chunks.entries()) {
        await backend.applyOnce(keys.guard(`${batch.id}:${i}`), writes, ttl);
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
    accounts: async (kind) => sortedNames(await backend.smembers(keys.accounts(kind))),
    events: async (kind, account) => sortedNames(await backend.smembers(keys.events(kind, account))),
    async years(kind, account, event) {
      const years = await backend.smembers(keys.years(kind, account, event));
      return years.map(Number).sort((a, b) => a - b);
    },
    async reindex(): Promise<ReindexReport> {
      const report = { scanned: 0, indexed: 0, skipped: 0 };
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
        });
      }
      return report;
    },
    ping: () => backend.ping(),
    connected: () => backend.connected(),
    maxmemoryPolicy: () => backend.maxmemoryPolicy(),
    warnings: () => backend.warnings(),
    close: () => backend.close(),
  };
}
