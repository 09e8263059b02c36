/**
 * graphql-ws (`graphql-transport-ws` protocol) on the same path and port as HTTP: the socket
 * adapter. What the protocol does with each operation is ws-protocol.ts.
 *
 * The socket adapter is ours (graphql-ws's `makeServer` works against an abstract socket) so
 * that the socket's own limits sit here: message size (`maxPayload`, close 1009), keep-alive
 * pings (a client that answers none is cut off), and the send guard that closes a connection
 * whose client stopped reading (1013). A send resolves once the kernel took the frame, so each
 * operation has at most one message in flight and a slow client skips to the newest state. The
 * frames of one tick go out in one write per connection (corked for the tick).
 *
 * The limits on operations sit with the protocol, in ws-protocol.ts: time to `connection_init`
 * (4408), the operation rate (churn-limit.ts, RATE_LIMITED) and operations at once per
 * connection (admission.ts `admitOperation`, an error for the one over); the last two are shared
 * with SSE.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { CloseCode, handleProtocols } from "graphql-ws";
import WebSocket, { WebSocketServer } from "ws";
import type { TokenTable } from "../../auth/tokens.js";
import type { GraphqlLimits } from "../../config.js";
import type { SendGuard } from "../../http/send-guard.js";
import type { Logger } from "../../log.js";
import type { StatsYoga } from "../yoga.js";
import type { ChurnLimit } from "./churn-limit.js";
import type { ResultEncoder } from "./result-encoding.js";
import { createWsProtocol } from "./ws-protocol.js";

/** graphql-ws's interval: a client that answers no ping within one more interval is cut off. */
const KEEP_ALIVE_MS = 12_000;
/** After a close frame, how long a client that is not reading gets before the socket is destroyed. */
const CLOSE_GRACE_MS = 1_000;
/** Every graphql-ws message is a text frame, also when handed over as bytes. */
const TEXT = { binary: false } as const;
/** "Try Again Later": graphql-ws clients reconnect (and re-subscribe) on it. */
const CLOSE_TOO_SLOW = 1013;

export interface GraphqlWsServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

export function createGraphqlWsServer(
  yoga: StatsYoga,
  limits: GraphqlLimits,
  guard: SendGuard,
  log: Logger,
  tokens: TokenTable,
  results: ResultEncoder,
  churn?: ChurnLimit,
): GraphqlWsServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxRequestBytes, handleProtocols });
  const server = createWsProtocol(yoga, limits, tokens, results, churn);

  wss.on("error", (err) => log.error({ err }, "graphql-ws server error"));
  wss.on("connection", (socket: WebSocket, request: IncomingMessage) => {
    const watched = guard.watch({
      transport: "ws",
      buffered: () => socket.bufferedAmount,
      drop(_reason, message) {
        socket.close(CLOSE_TOO_SLOW, message);
        setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
      },
    });
    let pongDeadline: NodeJS.Timeout | undefined;
    socket.on("pong", () => clearTimeout(pongDeadline));
    const keepAlive = setInterval(() => {
      if (socket.readyState !== WebSocket.OPEN) return;
      clearTimeout(pongDeadline);
      pongDeadline = setTimeout(() => {
        // Counted and logged as the send guard's own drops are (stats_graphql_subscribers_dropped_total).
        watched.dropped("ping_timeout");
        socket.terminate();
      }, KEEP_ALIVE_MS);
      socket.ping();
    }, KEEP_ALIVE_MS);
    socket.on("error", (err) => {
      // A client breaking the protocol (e.g. a message over maxPayload, which ws answers with 1009).
      log.debug({ err: err.message }, "graphql-ws socket error");
      socket.terminate();
    });

    // Frames sent in one tick (a flush's updates to a connection's several subscriptions) go out
    // in one write: the socket is corked at the tick's first send and uncorked after the tick,
    // as node:http does for a response. The buffer limit is checked once they are handed over.
    const raw = (socket as unknown as { _socket?: Duplex | null })._socket ?? undefined;
    let corked = false;
    const uncork = () => {
      corked = false;
      raw?.uncork();
      if (socket.readyState === WebSocket.OPEN) watched.check();
    };
    /** Sends a text frame; `done` once it left (or failed: a failure closes the socket). */
    const write = (frame: string | Buffer, done: () => void) => {
      if (socket.readyState !== WebSocket.OPEN) return done();
      if (raw && !corked) {
        corked = true;
        raw.cork();
        process.nextTick(uncork);
      }
      socket.send(frame, TEXT, () => {
        watched.progressed();
        done();
      });
    };
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => new Promise<void>((resolve) => write(data, resolve)),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on("message", (data: WebSocket.RawData) => {
            cb(String(data)).catch((err: unknown) => {
              log.error({ err }, "graphql-ws message handling failed");
              socket.close(CloseCode.InternalServerError, "Internal server error");
            });
          }),
      },
      { socket, request, write },
    );
    socket.once("close", (code: number, reason: Buffer) => {
      clearInterval(keepAlive);
      clearTimeout(pongDeadline);
      watched.unwatch();
      closed(code, String(reason)).catch((err: unknown) => log.error({ err }, "graphql-ws close handling failed"));
    });
  });

  return {
    handleUpgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
    },
    async close() {
      for (const client of wss.clients) client.close(1001, "Going away");
      const closed = new Promise<void>((resolve) => wss.close(() => resolve()));
      // Clients that do not answer the close frame (not reading, gone) are not waited for.
      const cutOff = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, CLOSE_GRACE_MS);
      await closed;
      clearTimeout(cutOff);
    },
  };
}
