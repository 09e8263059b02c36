/**
 * Live GraphQL subscriptions for the dashboard: graphql-ws over WebSocket, falling back to SSE
 * (Yoga's `text/event-stream` on /graphql) when the WebSocket cannot connect. Both reconnect on
 * their own, with a capped backoff; the server sends the current state first on every
 * (re)subscription, so nothing needs replaying. The state is reported for the page to show.
 * An answer that needs a token (HTTP 401/403, graphql-ws close 4401/4403, UNAUTHENTICATED or
 * FORBIDDEN) stops the retries and is reported as such, for the page to ask for one; any other
 * GraphQL error is handed to the subscriber that caused it.
 */
import { type Client, createClient } from "graphql-ws";

export type ConnectionState = "connecting" | "live" | "reconnecting";
export type Transport = "websocket" | "sse";

export interface Operation<TData, TVars> {
  toString(): string;
  /** Phantom: ties the document to its result and variables types (from codegen). */
  __apiType?: (variables: TVars) => TData;
}

export interface Live {
  subscribe<TData, TVars>(
    op: Operation<TData, TVars>,
    variables: TVars,
    onData: (data: TData) => void,
    onError: (message: string) => void,
  ): () => void;
  query<TData, TVars>(op: Operation<TData, TVars>, variables: TVars): Promise<TData>;
  dispose(): void;
}

/** The API wants a (better) token: `status` 401 for none or a bad one, 403 for one that may not read this. */
export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

interface GraphqlError {
  message: string;
  extensions?: { code?: string };
}

/** The first error of a GraphQL answer, as an AuthError when it is about the token. */
function firstError(errors: readonly GraphqlError[]): Error {
  const e = errors[0] ?? { message: "unknown error" };
  const code = e.extensions?.code;
  if (code === "UNAUTHENTICATED") return new AuthError(401, e.message);
  if (code === "FORBIDDEN") return new AuthError(403, e.message);
  return new Error(e.message);
}

interface Options {
  endpoint: string;
  token: string | undefined;
  /** "sse" skips the WebSocket (?transport=sse); "auto" tries it first. */
  prefer: "auto" | "sse";
  onState(state: ConnectionState, transport: Transport): void;
  /** The API refused the token (or its absence). Called once per refusal; retries stop. */
  onAuth(error: AuthError): void;
}

export function createLive(opts: Options): Live {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
  if (opts.token) headers["Authorization"] = `Bearer ${opts.token}`;
  let transport: Transport = opts.prefer === "sse" ? "sse" : "websocket";
  let everConnected = false;
  let refused = false;
  const refuse = (error: AuthError) => {
    if (refused) return;
    refused = true;
    opts.onAuth(error);
  };
  let fallback: ReturnType<typeof setTimeout> | undefined;
  /** Subscriptions to move to SSE if the WebSocket never connects. */
  const active = new Set<{ start(): void; stop(): void }>();

  const report = (state: ConnectionState) => opts.onState(state, transport);
  let ws: Client | undefined;
  if (transport === "websocket") {
    const url = new URL(opts.endpoint, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    ws = createClient({
      url: url.href,
      connectionParams: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
      lazy: false,
      keepAlive: 10_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => true,
      retryWait: (retries) => new Promise((r) => setTimeout(r, Math.min(500 * 2 ** retries, 5_000))),
      on: {
        connecting: () => report(everConnected ? "reconnecting" : "connecting"),
        connected: () => {
          everConnected = true;
          report("live");
        },
        closed: () => {
          if (everConnected) report("reconnecting");
        },
      },
    });
    // No WebSocket within 5 s (a proxy that refuses upgrades, say): carry on over SSE.
    fallback = setTimeout(() => {
      if (everConnected || refused || !ws) return;
      void ws.dispose();
      ws = undefined;
      transport = "sse";
      report("connecting");
      for (const sub of active) {
        sub.stop();
        sub.start();
      }
    }, 5_000);
  } else {
    report("connecting");
  }

  const sseSubscribe = (
    query: string,
    variables: unknown,
    onData: (data: unknown) => void,
    onError: (message: string) => void,
  ) => {
    let controller: AbortController | undefined;
    let stopped = false;
    let retries = 0;
    const run = async () => {
      while (!stopped) {
        controller = new AbortController();
        try {
          const res = await fetch(opts.endpoint, {
            method: "POST",
            headers: { ...headers, Accept: "text/event-stream" },
            body: JSON.stringify({ query, variables }),
            signal: controller.signal,
          });
          if (res.status === 401 || res.status === 403) {
            const body = (await res.json().catch(() => ({}))) as { errors?: GraphqlError[] };
            refuse(new AuthError(res.status, body.errors?.[0]?.message ?? `HTTP ${res.status}`));
            return;
          }
          if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
          retries = 0;
          everConnected = true;
          report("live");
          let failed = false;
          await readEvents(res.body, (data) => {
            const message = JSON.parse(data) as { data?: unknown; errors?: GraphqlError[] };
            if (message.errors?.length) {
              const error = firstError(message.errors);
              if (error instanceof AuthError) refuse(error);
              else onError(error.message);
              failed = true;
            } else if (message.data) onData(message.data);
          });
          // An operation the server refused is not asked again (the same arguments fail the same way).
          if (failed) return;
        } catch {
          // falls through to the retry below
        }
        if (stopped) return;
        report("reconnecting");
        await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** retries++, 5_000)));
      }
    };
    void run();
    return () => {
      stopped = true;
      controller?.abort();
    };
  };

  return {
    subscribe(op, variables, onData, onError) {
      const query = op.toString();
      let stop: (() => void) | undefined;
      const sub = {
        start() {
          stop =
            transport === "websocket" && ws
              ? ws.subscribe(
                  { query, variables: variables as Record<string, unknown> },
                  {
                    next: (r) => {
                      if (r.errors?.length) {
                        const error = firstError(r.errors as GraphqlError[]);
                        if (error instanceof AuthError) refuse(error);
                        else onError(error.message);
                      } else if (r.data) onData(r.data as never);
                    },
                    error: (err) => {
                      if (Array.isArray(err)) {
                        const error = firstError(err as GraphqlError[]);
                        if (error instanceof AuthError) refuse(error);
                        else onError(error.message);
                        return;
                      }
                      const close = err as { code?: number; reason?: string };
                      if (close.code === 4401 || close.code === 4403) {
                        refuse(new AuthError(close.code === 4401 ? 401 : 403, close.reason || "a token is needed"));
                      }
                    },
                    complete: () => {},
                  },
                )
              : sseSubscribe(query, variables, onData as (d: unknown) => void, onError);
        },
        stop: () => stop?.(),
      };
      active.add(sub);
      sub.start();
      return () => {
        active.delete(sub);
        sub.stop();
      };
    },
    async query(op, variables) {
      const res = await fetch(opts.endpoint, {
        method: "POST",
        headers,
        body: JSON.stringify({ query: op.toString(), variables }),
      });
      const body = (await res.json().catch(() => ({}))) as { data?: unknown; errors?: GraphqlError[] };
      if (res.status === 401 || res.status === 403) {
        const error = new AuthError(res.status, body.errors?.[0]?.message ?? `HTTP ${res.status}`);
        refuse(error);
        throw error;
      }
      if (body.errors?.length) {
        const error = firstError(body.errors);
        if (error instanceof AuthError) refuse(error);
        throw error;
      }
      if (!body.data) throw new Error(`HTTP ${res.status}`);
      return body.data as never;
    },
    dispose() {
      clearTimeout(fallback);
      for (const sub of active) sub.stop();
      active.clear();
      void ws?.dispose();
    },
  };
}

/** Reads `data:` payloads of `event: next` messages from an SSE response until it ends. */
async function readEvents(body: ReadableStream<Uint8Array>, onData: (data: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of message.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (event === "next" && data.length > 0) onData(data.join("\n"));
      if (event === "complete") return;
      end = buffer.indexOf("\n\n");
    }
  }
}
