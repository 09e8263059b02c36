/**
 * `stats-server replay FILE|-`: applies newline-delimited JSON events (the JSON part of a bus
 * message, with its `time`) to Redis, bucketed by their own times, through the same decoding,
 * counting and exactly-once flush as live ingest. Chunks of lines are applied under ids made from
 * their content (src/ingest/replay-chunks.ts), so re-running a replay that was cut off applies only
 * what it had not applied yet.
 *
 * Exit codes: 0 every line applied; 3 done, but some lines were rejected (each is reported);
 * 1 stopped because the store failed (re-run the same command); 2 bad usage.
 */
import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import { type Config, ConfigError, configFrom, type Flags } from "../config.js";
import type { Batch, StatsStore } from "../domain/types.js";
import { MAX_MESSAGE_BYTES } from "../ingest/decode.js";
import { type RejectReason, ReplayChunker } from "../ingest/replay-chunks.js";
import { type LineReaderResult, readLines } from "../ingest/replay-lines.js";
import { createLogger } from "../log.js";
import { createKeySpace } from "../store/keys.js";
import { createRedisBackend } from "../store/redis-backend.js";
import { createRedisClient } from "../store/redis-connection.js";
import { createStatsStore } from "../store/stats-store.js";
import { progressLine } from "./progress.js";

interface ReplayOptions {
  file: string;
  chunkLines: number;
  run: string;
  guardTtlSeconds: number;
  dryRun: boolean;
  timeoutMs: number;
  config: Config;
}

export function replayOptions(flags: Flags): ReplayOptions {
  const file = flags.operand ?? "-";
  const config = configFrom(flags);
  const dryRun = flags.bool("dry-run");
  if (config.store === "memory" && !dryRun) {
    throw new ConfigError("replay writes to Redis: with --store memory everything would be lost when it exits");
  }
  return {
    file,
    chunkLines: flags.int("chunk-lines", 1),
    run: flags.str("run"),
    guardTtlSeconds: flags.duration("guard-ttl"),
    dryRun,
    timeoutMs: flags.duration("timeout"),
    config,
  };
}

export async function run(flags: Flags): Promise<number> {
  const opts = replayOptions(flags);
  if (opts.file !== "-") {
    await access(opts.file).catch((err: NodeJS.ErrnoException) => {
      throw new ConfigError(`cannot read ${opts.file}: ${err.code ?? err.message}`);
    });
  }
  const log = createLogger(opts.config.logLevel);
  let writes = 0;
  let skippedWrites = 0;
  let store: StatsStore | undefined;
  /** Marks a chunk complete; true only for the one run that marks it first (the guard's answer). */
  let markDone: ((batch: Batch) => Promise<boolean>) | undefined;
  if (!opts.dryRun) {
    const { config } = opts;
    const backend = createRedisBackend(createRedisClient(config.redis, config.redisCluster, log, "replay"));
    const keys = createKeySpace(config.keyPrefix);
    const ttl = { guard: opts.guardTtlSeconds, minute: config.minuteRetentionSeconds };
    markDone = (batch) => backend.applyOnce(keys.guard(`${batch.id}:done`), [], ttl);
    // Counts the chunks Redis reports as applied before: what a re-run skipped.
    const counting = {
      ...backend,
      async applyOnce(...args: Parameters<typeof backend.applyOnce>) {
        const applied = await backend.applyOnce(...args);
        writes++;
        if (!applied) skippedWrites++;
        return applied;
      },
    };
    store = createStatsStore(counting, createKeySpace(config.keyPrefix), {
      minuteRetentionSeconds: config.minuteRetentionSeconds,
      guardTtlSeconds: opts.guardTtlSeconds,
    });
  }

  const chunker = new ReplayChunker({
    rules: { trackEvents: new Set(opts.config.trackEvents), funnelEvents: new Set(opts.config.funnelEvents) },
    linesPerChunk: opts.chunkLines,
    run: opts.run,
    eventYears: opts.config.eventYears,
  });
  const progress = progressLine();
  const rejectedBy = new Map<RejectReason, number>();
  let rejected = 0;
  let applied = 0;
  let chunks = 0;
  let skippedChunks = 0;
  let skippedEvents = 0;
  const t0 = performance.now();
  const show = () =>
    progress.show(
      `replay: ${chunker.lines.toLocaleString("en")} lines · ${applied.toLocaleString("en")} events applied · ${rejected} rejected · ${Math.round(chunker.lines / Math.max((performance.now() - t0) / 1000, 0.001)).toLocaleString("en")} lines/s`,
    );
  const timer = setInterval(show, 500);

  const apply = async (batch: Batch) => {
    chunks++;
    const [w, s] = [writes, skippedWrites];
    if (!store || !markDone || batch.deltas.length === 0) {
      applied += batch.events;
      return;
    }
    await applyWithRetry(() => (store as StatsStore).apply(batch), opts.timeoutMs);
    // Which run reports a chunk as applied comes from the guards' answers, so that two runs that
    // overlap never both claim it: the one that finds every write applied before did nothing, and
    // does not mark it (else its mark could land before the mark of the run that wrote it, and
    // neither would report it); of the others, only the one whose "done" mark lands first reports
    // it (the other one finished a part another run had started: that run reports it).
    const didNothing = skippedWrites - s === writes - w;
    const first =
      !didNothing && (await applyWithRetry(() => (markDone as (b: Batch) => Promise<boolean>)(batch), opts.timeoutMs));
    if (!first) {
      skippedChunks++;
      skippedEvents += batch.events;
    } else applied += batch.events;
  };

  const input = opts.file === "-" ? process.stdin : createReadStream(opts.file);
  const read: LineReaderResult = { bom: false };
  let failure: unknown;
  try {
    for await (const line of readLines(input, MAX_MESSAGE_BYTES, (b) => chunker.hashSkipped(b), read)) {
      const {
        rejected: reason,
        detail,
        chunk,
      } = "text" in line ? chunker.add(line.text) : chunker.addTooLong(line.tooLong);
      if (reason) {
        rejected++;
        rejectedBy.set(reason, (rejectedBy.get(reason) ?? 0) + 1);
        if (progress.tty) progress.show("");
        process.stderr.write(`line ${chunker.lines}: ${reason}${detail ? ` (${detail})` : ""}\n`);
      }
      if (chunk) await apply(chunk);
    }
    const last = chunker.end();
    if (last) await apply(last);
  } catch (err) {
    failure = err;
  } finally {
    clearInterval(timer);
    if (input !== process.stdin) input.destroy();
    if (progress.tty) show();
    progress.done();
    await store?.close();
  }

  const summary = {
    file: opts.file,
    lines: chunker.lines,
    applied,
    rejected,
    rejectedBy: Object.fromEntries([...rejectedBy].sort()),
    chunks,
    alreadyApplied: { chunks: skippedChunks, events: skippedEvents },
    dryRun: opts.dryRun,
    ...(read.bom ? { bom: "skipped" } : {}),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    ...(failure
      ? { stoppedAtLine: chunker.lines, error: String(failure instanceof Error ? failure.message : failure) }
      : {}),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  if (failure) {
    process.stderr.write(
      `replay: stopped at line ${chunker.lines}: ${summary.error}. Nothing was applied twice; run the same command again to apply the rest.\n`,
    );
    return 1;
  }
  return rejected > 0 ? 3 : 0;
}

/** Runs a guarded write (same id: never twice), retrying with a capped backoff until `timeoutMs` has passed. */
async function applyWithRetry<T>(write: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  for (;;) {
    try {
      return await write();
    } catch (err) {
      if (Date.now() + delay > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2_000);
    }
  }
}
