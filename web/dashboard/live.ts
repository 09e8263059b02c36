/**
 * Live GraphQL subscriptions for the dashboard: graphql-ws over WebSocket, falling back to SSE
 * (Yoga's `text/event-stream` on /graphql) when the WebSocket cannot connect. Both reconnect on
 * their own, with a capped backoff; the server sends the current state first on every
 * (re)subscription, so nothing needs replaying. The state is reported for the page to show.
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
  subscribe<TData, TVars>(op: Operation<TData, TVars>, variables: TVars, onData: (data: TData) => void): () => void;
  query<TData, TVars>(op: Operation<TData, TVars>, variables: TVars): Promise<TData>;
}

interface Options {
  endpoint: string;
  token: string | undefined;
  /** "sse" skips the WebSocket (?transport=sse); "auto" tries it first. */
  prefer: "auto" | "sse";
  onState(state: ConnectionState, transport: Transport): void;
}

export function createLive(opts: Options): Live {
  const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
  if (opts.token) headers["Authorization"] = `Bearer ${opts.token}`;
  let transport: Transport = opts.prefer === "sse" ? "sse" : "websocket";
  let everConnected = false;
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
    setTimeout(() => {
      if (everConnected || !ws) return;
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

  const sseSubscribe = (query: string, variables: unknown, onData: (data: unknown) => void) => {
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
          if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
          retries = 0;
          everConnected = true;
          report("live");
          await readEvents(res.body, (data) => {
            const message = JSON.parse(data) as { data?: unknown };
            if (message.data) onData(message.data);
          });
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
    subscribe(op, variables, onData) {
      const query = op.toString();
      let stop: (() => void) | undefined;
      const sub = {
        start() {
          stop =
            transport === "websocket" && ws
              ? ws.subscribe(
                  { query, variables: variables as Record<string, unknown> },
                  { next: (r) => r.data && onData(r.data as never), error: () => {}, complete: () => {} },
                )
              : sseSubscribe(query, variables, onData as (d: unknown) => void);
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
      const body = (await res.json()) as { data?: unknown; errors?: Array<{ message: string }> };
      if (body.errors?.length || !body.data) throw new Error(body.errors?.[0]?.message ?? `HTTP ${res.status}`);
      return body.data as never;
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
