/**
 * The ingest worker thread's entry (started by ingest-thread.ts; emitted as its own file,
 * dist/ingest-worker.js, by scripts/build.mjs). It runs the ingest side (ingest-side.ts) with
 * its own store connection, metrics registry and logger, so that nothing the API does on the main
 * thread's event loop delays reading the bus, decoding, coalescing or flushing.
 *
 * To the main thread it posts, in order on one port: each batch the store accepted (the main
 * thread publishes it on the live bus — a port's messages are never dropped nor reordered, so
 * live increments stay lossless and in flush order however long the API keeps that thread busy),
 * the shard registry's view when it changes, and the answers to the main thread's calls
 * (status, metrics, flush, stop).
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import type { Config } from "../config.js";
import { createLogger } from "../log.js";
import { createMetrics } from "../metrics.js";
import { createStore } from "../store/create-store.js";
import { type AppliedBatch, type IngestStatus, type ShardsSnapshot, startIngestHere } from "./ingest-side.js";

export interface IngestWorkerData {
  config: Config;
}

/** What the main thread asks of the worker. */
export type WorkerCall = { op: "status" | "metrics" | "flush" } | { op: "stop"; deadlineMs: number };
/** A call as posted; each is answered by a `reply` with the same `call`. */
export type ToWorker = WorkerCall & { call: number };

export type FromWorker =
  | { type: "ready" }
  | { type: "start-failed"; error: string }
  | { type: "applied"; batch: AppliedBatch }
  | { type: "shards"; shards: ShardsSnapshot }
  | { type: "reply"; call: number; value?: unknown; error?: string };

/** What a `stop` call answers. */
export interface StopReply {
  flushed: boolean;
  pendingEvents: number;
}
export type StatusReply = IngestStatus;

function runIngestWorker(port: MessagePort, { config }: IngestWorkerData): void {
  const log = createLogger(config.logLevel).child({ thread: "ingest" });
  const metrics = createMetrics({ defaultMetrics: false });
  const store = createStore(config, log);
  const side = startIngestHere(config, store, metrics, log);
  const post = (message: FromWorker) => port.postMessage(message);

  side.onApplied((batch) => post({ type: "applied", batch: { id: batch.id, deltas: batch.deltas } }));

  let lastShards = "";
  const postShards = () => {
    const shards: ShardsSnapshot = {
      claim: side.shards.claim,
      view: side.shards.view(),
      report: side.shards.report(),
      lease: side.lease(),
    };
    const text = JSON.stringify(shards);
    if (text === lastShards) return;
    lastShards = text;
    post({ type: "shards", shards });
  };
  // The registry reads twice per heartbeat interval; its view reaches the main thread as often.
  const shardsTimer = setInterval(postShards, Math.max(50, Math.floor(config.shardHeartbeatMs / 2)));
  void side.shards.firstRound.then(postShards);
  // A lease that changed hands reaches /readyz at once, not at the next interval.
  side.onLeaseChange(postShards);

  const answer = async (msg: ToWorker): Promise<unknown> => {
    switch (msg.op) {
      case "status":
        return side.status();
      case "metrics":
        return metrics.registry.getMetricsAsJSON();
      case "flush":
        return side.flush();
      case "stop": {
        clearInterval(shardsTimer);
        const result: StopReply = await side.stop(msg.deadlineMs);
        await store.close();
        await new Promise<void>((resolve) => log.flush(() => resolve()));
        // The main thread ends the worker once it has this answer.
        return result;
      }
    }
  };
  port.on("message", (msg: ToWorker) => {
    answer(msg).then(
      (value) => post({ type: "reply", call: msg.call, value }),
      (err: unknown) =>
        post({ type: "reply", call: msg.call, error: err instanceof Error ? err.message : String(err) }),
    );
  });

  side.ready.then(
    () => post({ type: "ready" }),
    (err: unknown) => post({ type: "start-failed", error: err instanceof Error ? err.message : String(err) }),
  );
}

if (parentPort) runIngestWorker(parentPort, workerData as IngestWorkerData);
