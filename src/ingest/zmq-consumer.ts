/**
 * The ZeroMQ adapter (thin): a SUB socket that connects (or binds), subscribes, and hands every
 * message's frames to `onMessage`. libzmq reconnects by itself; ZMTP heartbeats make a half-open
 * connection (a frozen publisher) fail and reconnect instead of hanging silently.
 *
 * The two directions of a heartbeat are set apart on purpose. We PING every `heartbeatMs` and drop
 * a publisher that sends nothing for 3 intervals after a PING (heartbeatTimeout): a frozen or
 * vanished publisher. The TTL in our PINGs (heartbeatTimeToLive) is how long the PUBLISHER waits
 * for traffic from us before it drops the connection — and, with it, everything it queued for us.
 * While this process is paused (SIGSTOP, a frozen VM or container) we send nothing, so a short TTL
 * made the publisher throw away the whole backlog of the pause. The TTL is therefore long
 * (`heartbeatTtlMs`, 60 s): a pause shorter than that loses nothing the publisher still holds
 * (within its send high-water mark), and a dead subscriber host is still dropped by the publisher.
 *
 * libzmq's own receive queue is kept small (`libzmqReceiveHwm`), and the backlog this process takes in is held here, in
 * a read-ahead queue of up to `receiveHighWaterMark` messages, counted in turns of a few ms. Why:
 * libzmq 4.3.5 (bundled by zeromq 6.8.0, the latest) stops reading the TCP socket while its receive
 * queue is full, and then cannot see the publisher's heartbeat PONG. A queue that stays full past
 * the heartbeat timeout got a healthy, merely busy connection timed out and remade — losing what
 * the publisher had queued for us — and then the queue's "room again" signal, meant for the dead
 * connection, restarted input on the new one that had never stopped: `Assertion failed:
 * _input_stopped (stream_engine_base.cpp)`, a process abort (zeromq/libzmq#3937, #4767; an upstream
 * fix, #4830, is not released). A small libzmq queue is read down well within a heartbeat interval,
 * so input never stays stopped for long unless the whole event loop is blocked past the heartbeat timeout; and
 * `immediate` makes libzmq retire the old queue on a reconnect (its messages are still delivered)
 * instead of handing it to the new connection, so a late "room again" finds no engine to restart.
 */
import { Subscriber } from "zeromq";
import type { Logger } from "../log.js";

export interface ZmqConsumerOptions {
  endpoints: readonly string[];
  bind: boolean;
  topics: readonly string[];
  heartbeatMs: number;
  /** TTL announced to the publisher: see the module comment. */
  heartbeatTtlMs: number;
  /**
   * Messages read ahead of counting before reading pauses (then the backlog waits in libzmq, the
   * kernel's socket buffers and the publisher's queue). 0 = no limit.
   */
  receiveHighWaterMark: number;
  onConnections?: (connected: number) => void;
  /** Reading paused: `receiveHighWaterMark` messages wait to be counted. */
  onReadPause?: () => void;
  onDisconnect?: () => void;
}

export interface ZmqConsumer {
  /** Resolves once every endpoint is bound or connect() has been issued. */
  readonly ready: Promise<void>;
  /** Peers currently connected. */
  readonly connections: number;
  /** Messages read from the socket and not yet handed to `onMessage`. */
  readonly queued: number;
  /** Stops receiving: the socket closes; messages already read are delivered, then no more. */
  close(): Promise<void>;
}

/**
 * libzmq's own receive high-water mark: 20 messages per ms of heartbeat interval (20,000 for 1 s),
 * at least 1,000 (libzmq's default) and at most the read-ahead limit. libzmq resumes reading the
 * socket once half of it has been taken; even with the read-ahead full, when reading follows
 * counting, that half is taken within one heartbeat interval at 10,000 messages/s — well inside
 * the timeout (3 intervals, one of which may pass before the PING). What it holds still absorbs a
 * burst while the event loop is blocked.
 */
export function libzmqReceiveHwm(heartbeatMs: number, readAhead: number): number {
  const cap = readAhead > 0 ? readAhead : Number.POSITIVE_INFINITY;
  const byHeartbeat = heartbeatMs > 0 ? 20 * heartbeatMs : 100_000;
  return Math.max(1_000, Math.min(cap, byHeartbeat));
}
/** How long one turn of counting may run before the event loop (and the read loop) get theirs. */
const TURN_MS = 5;

export function startZmqConsumer(
  opts: ZmqConsumerOptions,
  onMessage: (frames: Buffer[]) => void,
  log: Logger,
): ZmqConsumer {
  // Every libzmq call at set-up is made again when a signal interrupts it (see uninterrupted()).
  const socket = uninterrupted(
    () =>
      new Subscriber({
        heartbeatInterval: opts.heartbeatMs,
        heartbeatTimeout: opts.heartbeatMs * 3,
        heartbeatTimeToLive: opts.heartbeatTtlMs,
        reconnectInterval: 100,
        reconnectMaxInterval: 1_000,
        receiveHighWaterMark: libzmqReceiveHwm(opts.heartbeatMs, opts.receiveHighWaterMark),
        immediate: true,
        linger: 0,
      }),
  );
  let connections = 0;
  let closed = false;
  // A peer counts once its ZMTP handshake is done, not at TCP connect: the kernel of a frozen or
  // wedged publisher still accepts the connection, and nothing would ever arrive on it.
  const handshaken = new Map<string, number>();

  const observe = async (monitor: Subscriber["events"]) => {
    for await (const event of monitor) {
      if (event.type === "handshake") {
        handshaken.set(event.address, (handshaken.get(event.address) ?? 0) + 1);
        connections++;
        opts.onConnections?.(connections);
        log.info({ address: event.address }, "event bus connected");
      } else if (event.type === "disconnect") {
        const live = handshaken.get(event.address) ?? 0;
        if (live > 0) {
          handshaken.set(event.address, live - 1);
          connections--;
        }
        opts.onDisconnect?.();
        opts.onConnections?.(connections);
        // Our own close() disconnects too: that is a shutdown, not an outage.
        if (!closed) log.warn({ address: event.address }, "event bus disconnected; reconnecting");
      } else if (event.type === "end") {
        break;
      }
    }
  };

  // The read-ahead queue: `queue[head..]` waits to be counted.
  let queue: Array<Buffer[] | undefined> = [];
  let head = 0;
  const queued = () => queue.length - head;
  const limit = opts.receiveHighWaterMark > 0 ? opts.receiveHighWaterMark : Number.POSITIVE_INFINITY;
  let roomWaiter: (() => void) | undefined;
  let scheduled = false;

  /** Hands queued messages to onMessage, for at most TURN_MS (or all of them with `all`). */
  const count = (all: boolean) => {
    const until = performance.now() + TURN_MS;
    let n = 0;
    while (head < queue.length) {
      const frames = queue[head] as Buffer[];
      queue[head++] = undefined;
      try {
        onMessage(frames);
      } catch (err) {
        log.error({ err }, "event bus message handler failed");
      }
      if (!all && ++n % 64 === 0 && performance.now() >= until) break;
    }
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else if (head >= 65_536) {
      queue = queue.slice(head);
      head = 0;
    }
    if (roomWaiter && queued() < limit) {
      roomWaiter();
      roomWaiter = undefined;
    }
  };
  const turn = () => {
    scheduled = false;
    count(false);
    if (queued() > 0) schedule();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(turn);
  };

  const receive = async () => {
    for await (const frames of socket) {
      queue.push(frames);
      schedule();
      if (queued() >= limit && !closed) {
        opts.onReadPause?.();
        await new Promise<void>((resolve) => {
          roomWaiter = resolve;
        });
      }
    }
  };

  // The monitor must exist before connect() (which waits for it): libzmq may connect before a late
  // monitor attaches, and a lost "connect" event would leave `connections` at 0 (and /readyz down)
  // for good.
  const monitor = uninterruptedAsync(() => socket.events, "EADDRINUSE");
  const observing = monitor.then(observe).catch((err) => {
    if (!closed) log.error({ err }, "event bus observer failed");
  });
  const ready = (async () => {
    await monitor.catch(() => undefined);
    for (const topic of opts.topics) uninterrupted(() => socket.subscribe(topic));
    for (const endpoint of opts.endpoints) {
      if (opts.bind) await uninterruptedAsync(() => socket.bind(endpoint));
      else uninterrupted(() => socket.connect(endpoint));
    }
  })();

  const receiving = ready.then(receive).catch((err) => {
    if (!closed) log.error({ err }, "event bus receive loop failed");
  });

  return {
    ready,
    get connections() {
      return connections;
    },
    get queued() {
      return queued();
    },
    async close() {
      if (closed) return;
      closed = true;
      socket.close();
      roomWaiter?.();
      roomWaiter = undefined;
      await Promise.allSettled([receiving, observing]);
      count(true);
    },
  };
}

/**
 * A libzmq call made again when a signal interrupted it (EINTR). zeromq.js retries EINTR where it
 * sends, receives and reads monitor events, not in the calls that set a socket up (options,
 * subscribe, connect, bind, the monitor); libzmq checks for interruption before it changes
 * anything, so the call can simply be made again. A profiler's SIGPROF (`node --cpu-prof`) hit
 * the monitor's set-up in 2 of 30 starts, and connect() once in the 30 starts of a CI run, where
 * the process then exited at start.
 */
function uninterrupted<T>(call: () => T): T {
  for (let attempt = 1; ; attempt++) {
    try {
      return call();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EINTR" || attempt >= INTERRUPTED_ATTEMPTS) throw err;
    }
  }
}

/**
 * The same for a call that may have to wait, a few milliseconds apart: a bind, or the socket's
 * monitor (`socket.events`). Without the monitor, connections were never counted and /readyz said
 * the bus was down for good while events were counted. `alsoAfterInterrupt` names an error worth
 * another try once a try was interrupted: the half-made monitor of the interrupted try may still
 * hold its inproc address for a moment (EADDRINUSE).
 */
async function uninterruptedAsync<T>(call: () => T | Promise<T>, alsoAfterInterrupt?: string): Promise<T> {
  let interrupted = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      interrupted ||= code === "EINTR";
      const again = code === "EINTR" || (interrupted && code === alsoAfterInterrupt);
      if (!again || attempt >= INTERRUPTED_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, attempt * 5));
    }
  }
}

const INTERRUPTED_ATTEMPTS = 20;
