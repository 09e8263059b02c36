/**
 * Clients for the GraphQL fault tests, speaking the wire protocols by hand where a test needs
 * what a well-behaved client never does: a raw graphql-transport-ws socket (skip
 * connection_init, stop reading), a raw SSE response that is paused, and operations given as
 * plain strings (documents over a limit cannot be typed documents).
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { FormattedExecutionResult } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

export type Result = FormattedExecutionResult<Record<string, unknown>>;

export interface HttpAnswer {
  status: number;
  text: string;
  body: Result;
}

/** POST application/json; the body is sent exactly as given when it is a string. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as Result };
}

/** One operation over graphql-ws on its own connection: its first result, or its errors. */
export async function overWs(url: string, query: string, variables?: Record<string, unknown>): Promise<Result> {
  const client = createClient({ url: wsUrl(url), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  try {
    return await new Promise<Result>((resolve, reject) => {
      const stop = client.subscribe(
        { query, ...(variables ? { variables } : {}) },
        {
          next: (r) => {
            resolve(r as Result);
            stop();
          },
          error: (err) => {
            if (Array.isArray(err)) resolve({ errors: err });
            else reject(err instanceof Error ? err : new Error(`graphql-ws: ${JSON.stringify(err)}`));
          },
          complete: () => {},
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

export const wsUrl = (url: string) => `${url.replace(/^http/, "ws")}/graphql`;

/** A graphql-transport-ws socket driven message by message. */
export interface RawWs {
  socket: WebSocket;
  /** Messages received, parsed. */
  messages: Array<{ type: string; id?: string; payload?: unknown }>;
  closed: Promise<{ code: number; reason: string; at: number }>;
  send(message: object): void;
  /** Waits for a message of `type` (and `id`) beyond those already taken by earlier calls. */
  next(type: string, id?: string, withinMs?: number): Promise<{ type: string; id?: string; payload?: unknown }>;
  /** Stops reading from the TCP socket: the server's writes pile up in the kernel, then in the server. */
  stopReading(): void;
  resumeReading(): void;
}

export async function openRawWs(url: string): Promise<RawWs> {
  const socket = new WebSocket(wsUrl(url), "graphql-transport-ws");
  const messages: RawWs["messages"] = [];
  let taken = 0;
  const waiters = new Set<() => void>();
  socket.on("message", (data: WebSocket.RawData) => {
    messages.push(JSON.parse(String(data)) as RawWs["messages"][number]);
    for (const w of waiters) w();
  });
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    socket.once("close", (code: number, reason: Buffer) => resolve({ code, reason: String(reason), at: Date.now() })),
  );
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  // ws keeps its net.Socket private; pausing it is how a client "stops reading".
  const tcp = () => (socket as unknown as { _socket: Socket })._socket;
  return {
    socket,
    messages,
    closed,
    send: (message) => socket.send(JSON.stringify(message)),
    next(type, id, withinMs = 10_000) {
      return new Promise((resolve, reject) => {
        const look = () => {
          for (let i = taken; i < messages.length; i++) {
            const m = messages[i];
            if (m && m.type === type && (id === undefined || m.id === id)) {
              taken = i + 1;
              waiters.delete(look);
              clearTimeout(timer);
              resolve(m);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(look);
          reject(new Error(`no ${type} message within ${withinMs} ms (got ${JSON.stringify(messages.slice(-3))})`));
        }, withinMs);
        waiters.add(look);
        look();
      });
    },
    stopReading: () => tcp().pause(),
    resumeReading: () => tcp().resume(),
  };
}

/** A raw SSE subscription over POST; `response` is there once the headers are in. */
export interface RawSse {
  response: Promise<IncomingMessage>;
  /** Bytes of the body received so far (while reading). */
  readonly received: number;
  /** Resolves when the response ends or its connection closes. */
  ended: Promise<number>;
  stopReading(): void;
  resumeReading(): void;
  close(): void;
}

export function openRawSse(url: string, query: string, variables?: Record<string, unknown>): RawSse {
  const u = new URL(url);
  let received = 0;
  let res: IncomingMessage | undefined;
  let markEnded: (at: number) => void = () => {};
  const ended = new Promise<number>((resolve) => {
    markEnded = resolve;
  });
  const req = httpRequest({
    host: u.hostname,
    port: u.port,
    path: "/graphql",
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
  });
  req.on("error", () => markEnded(Date.now()));
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once("response", (r: IncomingMessage) => {
      res = r;
      r.on("data", (chunk: Buffer) => {
        received += chunk.length;
      });
      r.on("error", () => {});
      r.once("close", () => markEnded(Date.now()));
      resolve(r);
    });
    req.once("error", reject);
  });
  req.end(JSON.stringify({ query, ...(variables ? { variables } : {}) }));
  return {
    response,
    get received() {
      return received;
    },
    ended,
    // Pausing the response stops reading the socket under it (no flowing, no socket reads).
    stopReading: () => res?.socket?.pause(),
    resumeReading: () => res?.socket?.resume(),
    close: () => req.destroy(),
  };
}
