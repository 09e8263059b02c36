/** The shard registry as this process reads it. */
import { Counter, Gauge, type Registry } from "prom-client";

export function shardsMetrics(registers: Registry[]) {
  return {
    ingestShards: new Gauge({
      name: "stats_ingest_shards",
      help: "Ingest shards 0..n-1 by state in the shard registry: alive (its lease owner is alive), missing (no owner), duplicate (two or more owners, possible only with a process that does not fence; also counted alive), standby (processes waiting for a shard's lease).",
      labelNames: ["state"] as const,
      registers,
    }),
    ingestShardsExpected: new Gauge({
      name: "stats_ingest_shards_expected",
      help: "n of --shard i/n that the live ingest processes agree on (0: none ever registered).",
      registers,
    }),
    ingestLeaseOwner: new Gauge({
      name: "stats_ingest_lease_owner",
      help: "1 while this ingest process holds its shard's lease and counts it; 0 while it is a standby (or still claiming).",
      registers,
    }),
    eventsFenced: new Counter({
      name: "stats_events_fenced_total",
      help: "Events received but never written because this process lost its shard's lease first (another process owns the shard and counts from its take-over).",
      registers,
    }),
    ingestShardsDisagreeing: new Gauge({
      name: "stats_ingest_shards_disagreeing",
      help: "Live ingest processes whose n differs from the expected n (they split the accounts differently).",
      registers,
    }),
  };
}
