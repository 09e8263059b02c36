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
  /** Messages ZeroMQ queues before dropping (ZMQ_RCVHWM). */
  receiveHighWaterMark: number;
  onConnections?: (connected: number) => void;
  onDisconnect?: () => void;
}

export interface ZmqConsumer {
  /** Resolves once every endpoint is bound or connect() has been issued. */
  readonly ready: Promise<void>;
  /** Peers currently connected. */
  readonly connections: number;
  /** Stops receiving: the socket closes and no further message is delivered. */
  close(): Promise<void>;
}

export function startZmqConsumer(
  opts: ZmqConsumerOptions,
  onMessage: (frames: Buffer[]) => void,
  log: Logger,
): ZmqConsumer {
  const socket = new Subscriber({
    heartbeatInterval: opts.heartbeatMs,
    heartbeatTimeout: opts.heartbeatMs * 3,
    heartbeatTimeToLive: opts.heartbeatTtlMs,
    reconnectInterval: 100,
    reconnectMaxInterval: 1_000,
    receiveHighWaterMark: opts.receiveHighWaterMark,
    linger: 0,
  });
  let connections = 0;
  let closed = false;
  // A peer counts once its ZMTP handshake is done, not at TCP connect: the kernel of a frozen or
  // wedged publisher still accepts the connection, and nothing would ever arrive on it.
  const handshaken = new Map<string, number>();

  const observe = async () => {
    for await (const event of socket.events) {
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
        log.warn({ address: event.address }, "event bus disconnected; reconnecting");
      } else if (event.type === "end") {
        break;
      }
    }
  };

  const receive = async () => {
    for await (const frames of socket) {
      onMessage(frames);
    }
  };

  // The monitor must exist before connect(): libzmq may connect before a late monitor attaches,
  // and a lost "connect" event would leave `connections` at 0 (and /readyz down) for good.
  const observing = observe().catch((err) => {
    if (!closed) log.error({ err }, "event bus observer failed");
  });
  const ready = (async () => {
    for (const topic of opts.topics) socket.subscribe(topic);
    for (const endpoint of opts.endpoints) {
      if (opts.bind) await socket.bind(endpoint);
      else socket.connect(endpoint);
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
    async close() {
      if (closed) return;
      closed = true;
      socket.close();
      await Promise.allSettled([receiving, observing]);
    },
  };
}
