/**
 * The ingest side of a process as the composition root sees it: the ZeroMQ consumer → pipeline →
 * flusher → store (ingest/ingest.ts), and the shard registry it holds its claim in — started
 * together, stopped together, in whichever thread runs them. startIngestHere() runs them on the
 * calling thread; ingest-thread.ts runs the same in a worker thread of its own (the `all` role on
 * a real store, so that API work never stalls ingest) and answers through the same interface.
 */
import type { Config } from "../config.js";
import type { ShardView } from "../domain/shard-view.js";
import type { Batch, StatsStore } from "../domain/types.js";
import { newInstanceId, openShardRegistry, type ShardRegistry } from "../fleet/shard-registry.js";
import type { FlushStatus } from "../ingest/flusher.js";
import { startIngest } from "../ingest/ingest.js";
import { openShardLease, type ShardLease } from "../ingest/shard-lease.js";
import type { AppliedBatches } from "../live/publish.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";

/** What readiness and shutdown need to know of the ingest side. */
export interface IngestStatus {
  /** Event bus peers connected (ZMTP handshake done). */
  connections: number;
  flush: FlushStatus;
  /** Events received and not yet accepted by the store. */
  pendingEvents: number;
}

export interface IngestSide extends AppliedBatches {
  /** Where it runs: on the thread that started it, or in a worker thread of its own. */
  readonly thread: "main" | "worker";
  /** Resolves once every endpoint is bound or connect() was issued. */
  readonly ready: Promise<void>;
  /** The registry this side holds its shard claim in (read-only here: the side stops it). */
  readonly shards: Pick<ShardRegistry, "claim" | "view" | "firstRound" | "report">;
  /** The shard's lease as this side holds it (owner, standby or claiming); /readyz shows it. */
  lease(): LeaseReport | undefined;
  /** Calls `listener` whenever this side's lease changes hands (a worker posts its state then). */
  onLeaseChange(listener: () => void): void;
  status(): Promise<IngestStatus>;
  /** Flushes what is pending now; resolves when that flush is done. */
  flush(): Promise<void>;
  /**
   * Stops receiving, flushes everything pending (retrying up to `deadlineMs`), drops the shard
   * claim, closes the side's own connections. `flushed` false: pending increments were not written.
   */
  stop(deadlineMs: number): Promise<{ flushed: boolean; pendingEvents: number }>;
}

/** What /readyz shows of a shard's lease. */
export type LeaseReport = ReturnType<ShardLease["report"]>;

/** The batch as the live bus carries it (what a worker posts for each applied batch). */
export type AppliedBatch = Pick<Batch, "id" | "deltas">;

/** Runs the ingest side on this thread, writing to `store` (which the caller owns and closes). */
export function startIngestHere(config: Config, store: StatsStore, metrics: Metrics, log: Logger): IngestSide {
  const instance = newInstanceId();
  // Fencing: with --shard this side counts its shard only while it holds the shard's lease; else it
  // waits as a standby, not subscribed (ingest.ts, decision 5).
  const lease = openShardLease(config, instance, metrics, log);
  const ingest = startIngest(config, store, metrics, log, lease);
  // The registry lists this process as its lease's owner or standby.
  const registry = openShardRegistry(config, metrics, log, {
    id: instance,
    ...(lease ? { state: () => (lease.state() === "owner" ? "owner" : "standby") } : {}),
  });
  lease?.onChange(() => registry.beatNow());
  return {
    thread: "main",
    ready: ingest.ready,
    shards: registry,
    lease: () => lease?.report(),
    onLeaseChange: (listener) => lease?.onChange(() => listener()),
    onApplied: (listener) => ingest.flusher.onApplied(listener),
    status: async () => ({
      connections: ingest.consumer?.connections ?? 0,
      flush: ingest.flusher.status(),
      pendingEvents: ingest.flusher.pendingEvents,
    }),
    flush: () => ingest.flusher.flush(),
    async stop(deadlineMs) {
      const flushed = await ingest.stop(deadlineMs);
      const pendingEvents = ingest.flusher.pendingEvents;
      // After ingest stopped (its last flush needs the lease): the standby takes over at once.
      await lease?.stop();
      await registry.stop();
      return { flushed, pendingEvents };
    },
  };
}

/** A shard registry's state as a worker posts it (view() and report() of its registry). */
export interface ShardsSnapshot {
  claim: ShardRegistry["claim"];
  view: ShardView | undefined;
  report: Record<string, unknown>;
  lease: LeaseReport | undefined;
}
