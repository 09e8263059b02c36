/**
 * Subscriber connections whose client stops reading are closed; nothing else waits for them.
 *
 * Both transports write to a subscriber only as fast as its client reads (graphql-ws awaits
 * each send, SSE is pulled by the response stream), and a subscription skips to the newest
 * state meanwhile (live/channel.ts). So a stalled client holds at most what the kernel and one
 * message per operation take, never a growing queue, and the others are not slowed down. This
 * guard adds the two rules that end such a connection:
 * - more than `maxBufferBytes` waiting in this process for it (checked after every write and
 *   on every sweep);
 * - data waiting, none of it taken by the client, for `stallTimeoutMs`.
 *
 * One sweep timer serves every connection; it only runs while connections are watched.
 */

export interface SendGuardOptions {
  maxBufferBytes: number;
  stallTimeoutMs: number;
  /** Called once per closed connection, after its `drop`. */
  onDrop?: (transport: string, reason: DropReason, bufferedBytes: number) => void;
}

export type DropReason = "buffer_full" | "stalled" | "ping_timeout";

export interface GuardedConnection {
  transport: string;
  /** Bytes written for this client and not yet handed to the kernel. */
  buffered(): number;
  /** Closes the connection (a reason for the client where the transport has a way to say it). */
  drop(reason: DropReason, message: string): void;
}

export interface WatchedConnection {
  /** The client took data (a write completed): it is reading. */
  progressed(): void;
  /** Checks the buffer limit now, right after a write. */
  check(): void;
  /** The transport closed the connection itself for `reason` (a ping unanswered): reported as the guard's own drops are. */
  dropped(reason: DropReason): void;
  unwatch(): void;
}

export interface SendGuard {
  watch(conn: GuardedConnection): WatchedConnection;
  /** Bytes waiting over every watched connection. */
  bufferedBytes(): number;
  readonly size: number;
  close(): void;
}

interface Entry {
  conn: GuardedConnection;
  /** When the oldest data the client has not taken started waiting (undefined: nothing waits). */
  waitingSince: number | undefined;
  dropped: boolean;
}

export function createSendGuard(opts: SendGuardOptions): SendGuard {
  const entries = new Set<Entry>();
  let timer: NodeJS.Timeout | undefined;
  const sweepMs = Math.max(10, Math.min(1_000, Math.floor(opts.stallTimeoutMs / 4)));

  const drop = (e: Entry, reason: DropReason, message: string, bytes: number) => {
    if (e.dropped) return;
    e.dropped = true;
    entries.delete(e);
    e.conn.drop(reason, message);
    opts.onDrop?.(e.conn.transport, reason, bytes);
  };

  const inspect = (e: Entry, now: number) => {
    const bytes = e.conn.buffered();
    if (bytes > opts.maxBufferBytes) {
      drop(e, "buffer_full", `send buffer over ${opts.maxBufferBytes} bytes: client too slow`, bytes);
    } else if (bytes === 0) {
      e.waitingSince = undefined;
    } else if (e.waitingSince === undefined) {
      e.waitingSince = now;
    } else if (now - e.waitingSince >= opts.stallTimeoutMs) {
      drop(e, "stalled", `client took no data for ${opts.stallTimeoutMs} ms`, bytes);
    }
  };

  const sweep = () => {
    const now = Date.now();
    for (const e of entries) inspect(e, now);
    if (entries.size === 0) stop();
  };
  const stop = () => {
    clearInterval(timer);
    timer = undefined;
  };

  return {
    watch(conn) {
      const e: Entry = { conn, waitingSince: undefined, dropped: false };
      entries.add(e);
      timer ??= setInterval(sweep, sweepMs).unref();
      return {
        progressed() {
          e.waitingSince = undefined;
        },
        check() {
          if (!e.dropped) inspect(e, Date.now());
        },
        dropped(reason) {
          if (e.dropped) return;
          e.dropped = true;
          entries.delete(e);
          opts.onDrop?.(e.conn.transport, reason, e.conn.buffered());
        },
        unwatch() {
          entries.delete(e);
        },
      };
    },
    bufferedBytes() {
      let n = 0;
      for (const e of entries) n += e.conn.buffered();
      return n;
    },
    get size() {
      return entries.size;
    },
    close() {
      entries.clear();
      stop();
    },
  };
}
