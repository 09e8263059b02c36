/** The shard registry as this process reads it. */
import { Gauge, type Registry } from "prom-client";

export function shardsMetrics(registers: Registry[]) {
  return {
    ingestShards: new Gauge({
      name: "stats_ingest_shards",
      help: "Ingest shards 0..n-1 by state in the shard registry: alive (a live process holds it), missing (none does), duplicate (two or more do; also counted alive).",
      labelNames: ["state"] as const,
      registers,
    }),
    ingestShardsExpected: new Gauge({
      name: "stats_ingest_shards_expected",
      help: "n of --shard i/n that the live ingest processes agree on (0: none ever registered).",
      registers,
    }),
    ingestShardsDisagreeing: new Gauge({
      name: "stats_ingest_shards_disagreeing",
      help: "Live ingest processes whose n differs from the expected n (they split the accounts differently).",
      registers,
    }),
  };
}
