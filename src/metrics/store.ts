/** The store: its connection, its eviction policy, and how many names it holds (cardinality). */
import { Gauge, type Registry } from "prom-client";
import type { Cardinality } from "../domain/types.js";

/** Cardinality is read from the store at most this often (a scrape reads the last figures). */
const CARDINALITY_EVERY_MS = 10_000;

export function storeMetrics(registers: Registry[]) {
  let storeState = (): { connected: boolean; maxmemoryPolicy: string | undefined } => ({
    connected: false,
    maxmemoryPolicy: undefined,
  });
  let cardinalitySource: (() => Promise<Cardinality>) | undefined;
  let cardinality: { at: number; value: Promise<Cardinality | undefined> } | undefined;
  const readCardinality = (): Promise<Cardinality | undefined> => {
    if (!cardinalitySource) return Promise.resolve(undefined);
    if (!cardinality || Date.now() - cardinality.at > CARDINALITY_EVERY_MS) {
      // A store that is down leaves the gauges empty for this scrape rather than failing it.
      cardinality = { at: Date.now(), value: cardinalitySource().catch(() => undefined) };
    }
    return cardinality.value;
  };
  return {
    storeUp: new Gauge({
      name: "stats_redis_up",
      help: "1 while the command connection to the store is established (read at scrape time), else 0. Failing writes show in stats_flush_failing.",
      registers,
      collect() {
        this.set(storeState().connected ? 1 : 0);
      },
    }),
    maxmemoryPolicy: new Gauge({
      name: "stats_redis_maxmemory_policy",
      help: "1 for Redis's maxmemory-policy as last read (at connect and every reconnect). Anything but noeviction can evict the exactly-once guards.",
      labelNames: ["policy"] as const,
      registers,
      collect() {
        this.reset();
        const policy = storeState().maxmemoryPolicy;
        if (policy !== undefined) this.set({ policy }, 1);
      },
    }),
    accounts: new Gauge({
      name: "stats_accounts",
      help: "Accounts with data (the rollup `all` included), by kind; read from the index at most every 10 s.",
      labelNames: ["kind"] as const,
      registers,
      async collect() {
        const c = await readCardinality();
        this.reset();
        if (c) for (const [kind, n] of Object.entries(c.accounts)) this.set({ kind }, n);
      },
    }),
    eventTypes: new Gauge({
      name: "stats_event_types",
      help: "Event types with data, by kind; read at most every 10 s.",
      labelNames: ["kind"] as const,
      registers,
      async collect() {
        const c = await readCardinality();
        this.reset();
        if (c) for (const [kind, n] of Object.entries(c.events)) this.set({ kind }, n);
      },
    }),
    funnelStatuses: new Gauge({
      name: "stats_funnel_statuses",
      help: "Distinct statuses of each funnel event this year (over every account); read at most every 10 s.",
      labelNames: ["event"] as const,
      registers,
      async collect() {
        const c = await readCardinality();
        this.reset();
        if (c) for (const { event, statuses } of c.statuses) this.set({ event }, statuses);
      },
    }),
    /** stats_redis_up's one source: the store's connection state, read at every scrape. */
    observeStore(source: () => { connected: boolean; maxmemoryPolicy: string | undefined }) {
      storeState = source;
    },
    /** Makes the cardinality gauges read the store (through `source`) at most every 10 s. */
    observeCardinality(source: () => Promise<Cardinality>) {
      cardinalitySource = source;
    },
  };
}
