/**
 * Runs the ingest side in a worker thread of its own (ingest-worker.ts) and answers for it on the
 * main thread through the same interface as startIngestHere (ingest-side.ts). What the worker
 * posts is handled here: each applied batch goes to the onApplied listeners (the live bus), in
 * order; the shard registry's latest view is kept for /readyz; the worker's metrics are added to
 * this process's /metrics at every scrape.
 *
 * A worker that dies (an uncaught error, an abort) is logged, makes every later call fail (so
 * /readyz reports it), and resolves `died`: the process then shuts down as it would have had the
 * error happened on its main thread.
 */
import { Worker } from "node:worker_threads";
import type { Config } from "../config.js";
import type { Batch } from "../domain/types.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { IngestSide, IngestStatus, ShardsSnapshot } from "./ingest-side.js";
import type { FromWorker, IngestWorkerData, StopReply, ToWorker, WorkerCall } from "./ingest-worker.js";

/** How long a call (status, metrics, flush) may wait for the worker's answer. */
const CALL_TIMEOUT_MS = 5_000;
/** After a stop: how much longer than the shutdown deadline the worker may take to answer. */
const STOP_GRACE_MS = 10_000;

export interface IngestWorkerSide extends IngestSide {
  readonly thread: "worker";
  /** Resolves when the worker ended without being asked to (the reason); never otherwise. */
  readonly died: Promise<Error>;
}

/**
 * The worker, on its own file beside this module: dist/ingest-worker.js in the bundle (beside
 * every chunk). Run from source (tests and benchmarks, under tsx), ingest-worker.ts: Node 20 does
 * not apply the loader hooks of `--import tsx` to a worker's entry module, so that worker
 * registers tsx itself before it loads the entry.
 */
function createWorker(workerData: IngestWorkerData): Worker {
  const opts = { workerData, name: "stats-server ingest" };
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./ingest-worker.js", import.meta.url), opts);
  const entry = JSON.stringify(new URL("./ingest-worker.ts", import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`, {
    ...opts,
    eval: true,
  });
}

export function startIngestWorker(config: Config, metrics: Metrics, log: Logger): IngestWorkerSide {
  const worker = createWorker({ config });
  const listeners = new Set<(batch: Batch) => void>();
  const leaseListeners = new Set<() => void>();
  const calls = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  let nextCall = 0;
  let stopping = false;
  let gone: Error | undefined;
  let markDied: (err: Error) => void = () => {};
  const died = new Promise<Error>((resolve) => {
    markDied = resolve;
  });
  let shards: ShardsSnapshot | undefined;
  let markFirstRound: () => void = () => {};
  const firstRound = new Promise<void>((resolve) => {
    markFirstRound = resolve;
  });
  let markReady: { resolve(): void; reject(err: Error): void } = { resolve() {}, reject() {} };
  const ready = new Promise<void>((resolve, reject) => {
    markReady = { resolve, reject };
  });
  // A start that fails is reported by ready; nobody else needs to hear of it.
  ready.catch(() => {});

  worker.on("message", (msg: FromWorker) => {
    switch (msg.type) {
      case "applied": {
        // Events and batch size are the worker's business; the live bus carries id and deltas.
        const batch: Batch = { ...msg.batch, events: 0 };
        for (const listener of listeners) {
          try {
            listener(batch);
          } catch (err) {
            log.error({ err }, "flush listener failed");
          }
        }
        return;
      }
      case "shards": {
        const changed =
          shards?.lease?.state !== msg.shards.lease?.state || shards?.lease?.owner !== msg.shards.lease?.owner;
        shards = msg.shards;
        markFirstRound();
        if (changed) for (const listener of leaseListeners) listener();
        return;
      }
      case "ready":
        markReady.resolve();
        return;
      case "start-failed":
        markReady.reject(new Error(msg.error));
        return;
      case "reply": {
        const call = calls.get(msg.call);
        calls.delete(msg.call);
        if (msg.error !== undefined) call?.reject(new Error(msg.error));
        else call?.resolve(msg.value);
        return;
      }
    }
  });
  worker.on("error", (err) => {
    log.error({ err }, "ingest worker failed");
    gone ??= err;
  });
  const exited = new Promise<void>((resolve) => {
    worker.once("exit", (code) => {
      const err = gone ?? new Error(`ingest worker exited (code ${code})`);
      gone = err;
      for (const call of calls.values()) call.reject(err);
      calls.clear();
      markReady.reject(err);
      markFirstRound();
      if (!stopping) {
        log.error({ err: err.message, code }, "ingest worker ended unexpectedly: no events are being counted");
        markDied(err);
      }
      resolve();
    });
  });

  const call = <T>(message: WorkerCall, withinMs: number): Promise<T> => {
    if (gone) return Promise.reject(gone);
    const id = nextCall++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        calls.delete(id);
        reject(new Error(`ingest worker did not answer ${message.op} within ${withinMs} ms`));
      }, withinMs);
      calls.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      worker.postMessage({ ...message, call: id } satisfies ToWorker);
    });
  };

  // The worker's counters and gauges (received, applied, flushes, bus, pending, shards) appear on
  // this process's /metrics, added to this thread's.
  metrics.mergeFrom(() =>
    call<Awaited<ReturnType<Metrics["registry"]["getMetricsAsJSON"]>>>({ op: "metrics" }, CALL_TIMEOUT_MS).catch(
      (err: unknown) => {
        log.warn({ err: String(err) }, "/metrics without the ingest worker's metrics");
        return [];
      },
    ),
  );

  return {
    thread: "worker",
    ready,
    died,
    shards: {
      get claim() {
        return shards?.claim;
      },
      view: () => shards?.view,
      firstRound,
      report: () => shards?.report ?? { expected: null, stale: true },
    },
    lease: () => shards?.lease,
    // The worker posts its lease's state as soon as it changes (ingest-worker.ts).
    onLeaseChange: (listener) => void leaseListeners.add(listener),
    onApplied(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    status: () => call<IngestStatus>({ op: "status" }, CALL_TIMEOUT_MS),
    flush: () => call<void>({ op: "flush" }, CALL_TIMEOUT_MS),
    async stop(deadlineMs) {
      stopping = true;
      let result: StopReply = { flushed: false, pendingEvents: Number.NaN };
      try {
        result = await call<StopReply>({ op: "stop", deadlineMs }, deadlineMs + STOP_GRACE_MS);
      } catch (err) {
        log.error({ err: String(err) }, "ingest worker did not stop cleanly: pending increments may be lost");
      }
      // Flushed, claim dropped, connections and log closed (or given up on): nothing is left to
      // wait for in the worker.
      await worker.terminate();
      await exited;
      return result;
    },
  };
}
