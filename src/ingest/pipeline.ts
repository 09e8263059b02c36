/**
 * One message's walk: decode → (shard) → bucket → coalesce. Never throws: whatever arrives is
 * either counted or dropped with a reason.
 */

import { ownsAccount, type Shard } from "../domain/shard.js";
import type { Logger } from "../log.js";
import { createRateLimitedLog } from "../log.js";
import type { Metrics } from "../metrics.js";
import { bucketOf, readEventTime } from "./bucket.js";
import type { Classification } from "./classify.js";
import { decodeFrames } from "./decode.js";
import type { Flusher } from "./flusher.js";

export interface PipelineOptions {
  rules: Classification;
  timeSource: "receive" | "event";
  /** With timeSource "event": accepted years; max undefined = the year after the current one. */
  eventYears?: { min: number; max: number | undefined };
  shard: Shard | undefined;
  now?: () => number;
}

export function createPipeline(flusher: Flusher, opts: PipelineOptions, metrics: Metrics, log: Logger) {
  const warn = createRateLimitedLog(log);
  const now = opts.now ?? Date.now;
  return (frames: Buffer[]): void => {
    metrics.received.inc();
    try {
      const decoded = decodeFrames(frames);
      if (!decoded.ok) {
        metrics.dropped.inc({ reason: decoded.reason });
        warn(`drop:${decoded.reason}`, { reason: decoded.reason, bytes: size(frames) }, "dropped malformed event");
        return;
      }
      const ev = decoded.event;
      if (opts.shard && !ownsAccount(opts.shard, ev.account)) {
        metrics.ignored.inc({ reason: "other_shard" });
        return;
      }
      let at = now();
      if (opts.timeSource === "event") {
        const years = opts.eventYears ?? { min: 1970, max: 9999 };
        const max = years.max ?? new Date(at).getUTCFullYear() + 1;
        const t = readEventTime(ev.time, { min: years.min, max });
        if (t.ok) at = t.ms;
        else {
          metrics.timeFallbacks.inc({ reason: t.reason });
          if (t.reason !== "missing") {
            warn(
              `time:${t.reason}`,
              { reason: t.reason, time: String(ev.time).slice(0, 64) },
              "event time not used: receive time instead",
            );
          }
        }
      }
      if (!flusher.add(ev, bucketOf(at), opts.rules)) metrics.ignored.inc({ reason: "untracked_type" });
    } catch (err) {
      // Unreachable by design; if it happens, the message is dropped and ingestion goes on.
      metrics.dropped.inc({ reason: "internal_error" });
      warn("drop:internal", { err }, "dropped event after an internal error");
    }
  };
}

function size(frames: Buffer[]): number {
  return frames.reduce((n, f) => n + f.length, 0);
}
