/** What bounds memory: the caches bounded by bytes, and the heap budget past which new work is refused. */
import { Counter, Gauge, type Registry } from "prom-client";
import type { CacheStats } from "../domain/sized-cache.js";

export function memoryMetrics(registers: Registry[]) {
  const cacheSources: Array<() => CacheStats[]> = [];
  const caches = () => cacheSources.flatMap((source) => source());
  let memoryBudget = () => 0;
  return {
    memoryRefusals: new Counter({
      name: "stats_memory_refusals_total",
      help: "Pieces of expensive work refused because the heap in use had reached --max-memory (what: series_plan, live_subscription, rest_read).",
      labelNames: ["what"] as const,
      registers,
    }),
    memoryBudgetBytes: new Gauge({
      name: "stats_memory_budget_bytes",
      help: "The heap in use past which new expensive work is refused (--max-memory, or 75% of V8's heap limit).",
      registers,
      collect() {
        this.set(memoryBudget());
      },
    }),
    cacheBytes: new Gauge({
      name: "stats_cache_bytes",
      help: "Estimated bytes held by each cache bounded by bytes (cache: plans, zone-spellings, graphql-answers, rest-answers, documents, …).",
      labelNames: ["cache"] as const,
      registers,
      collect() {
        this.reset();
        for (const c of caches()) this.set({ cache: c.name }, c.bytes);
      },
    }),
    cacheMaxBytes: new Gauge({
      name: "stats_cache_max_bytes",
      help: "The byte budget of each cache bounded by bytes.",
      labelNames: ["cache"] as const,
      registers,
      collect() {
        this.reset();
        for (const c of caches()) this.set({ cache: c.name }, c.maxBytes);
      },
    }),
    cacheEntries: new Gauge({
      name: "stats_cache_entries",
      help: "Entries held by each cache bounded by bytes.",
      labelNames: ["cache"] as const,
      registers,
      collect() {
        this.reset();
        for (const c of caches()) this.set({ cache: c.name }, c.entries);
      },
    }),
    /** Adds `source` (caches bounded by bytes) to what the stats_cache_* gauges read at every scrape. */
    observeCaches(source: () => CacheStats[]) {
      cacheSources.push(source);
    },
    /** Makes stats_memory_budget_bytes read `source` at every scrape. */
    observeMemoryBudget(source: () => number) {
      memoryBudget = source;
    },
  };
}
