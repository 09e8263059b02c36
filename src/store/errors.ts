/**
 * What a failed flush means, from the error the store gave. Three kinds, three policies (flusher.ts):
 *
 * - `unreachable`: the connection is down or timed out. Nothing is wrong with the batch; it is
 *   retried (same id) until the store is back, however long that takes.
 * - `refused`: Redis answered, but refuses every write for now (OOM, READONLY after a failover,
 *   MISCONF, BUSY, LOADING, ...). Retried the same way: it clears when the operator (or the
 *   failover) fixes the server; meanwhile it is loud: a metric, a log line and /readyz 503.
 * - `rejected`: an answer that is about this batch (a key of the wrong type, a script error, or a
 *   bug of ours). Retrying it forever would stall every later event behind it, so after a few
 *   attempts the batch is set aside (kept, retried now and then, reported) and the rest flows.
 */
import { ReplyError } from "ioredis";

/**
 * A fenced write refused because this process does not hold its shard's lease (another process
 * owns the shard now). Not a store failure: the flusher asks the lease, and drops the batch when
 * it is lost for good (flusher.ts).
 */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/**
 * The store lacks a command a read needs (`top` needs ZUNION, Redis 6.2): not a fault of the
 * request nor of ours, and retrying will not help until the operator upgrades Redis. The message
 * says what is needed; the APIs pass it on as it is.
 */
export class StoreLacksCommand extends Error {
  override name = "StoreLacksCommand";
  constructor(
    readonly command: string,
    readonly needs: string,
    readonly what: string,
  ) {
    super(`${what} needs ${needs} or later (${command}); this Redis does not have ${command}`);
  }
}

/** True for Redis's "unknown command" answers, sent directly or from inside a script. */
export function isUnknownCommand(err: unknown): boolean {
  return err instanceof Error && /^ERR unknown (redis )?command/i.test(err.message);
}

export type StoreErrorKind = "unreachable" | "refused" | "rejected";

export interface ClassifiedError {
  kind: StoreErrorKind;
  /** A short label for metrics: the Redis error code (OOM, READONLY, WRONGTYPE, ...) or a word. */
  code: string;
  message: string;
}

/** Redis error codes that refuse every write while a server condition lasts. */
const SERVER_STATE = new Set([
  "OOM",
  "READONLY",
  "MISCONF",
  "BUSY",
  "LOADING",
  "MASTERDOWN",
  "NOREPLICAS",
  "CLUSTERDOWN",
  "TRYAGAIN",
  "MOVED",
  "ASK",
  "NOAUTH",
  "NOPERM",
]);

export function classifyStoreError(err: unknown): ClassifiedError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ReplyError || (err instanceof Error && err.name === "ReplyError")) {
    // Redis puts the code first: "OOM command not allowed ...", "READONLY You can't write ...".
    const code = /^([A-Z]+)\b/.exec(message)?.[1] ?? "ERR";
    return { kind: SERVER_STATE.has(code) ? "refused" : "rejected", code, message };
  }
  // A JavaScript error thrown on our side is a bug that the same batch would hit again.
  if (err instanceof RangeError || err instanceof TypeError || err instanceof SyntaxError) {
    return { kind: "rejected", code: "internal", message };
  }
  return { kind: "unreachable", code: "unreachable", message };
}
