/**
 * Real GraphQL clients for tests: HTTP POST/GET, graphql-ws over a real WebSocket, and SSE over
 * a real streaming fetch. Operations are the typed documents codegen generated from
 * test/gql/operations.graphql, so a test's variables and results are type-checked.
 */
import type { ResultOf, TypedDocumentNode, VariablesOf } from "@graphql-typed-document-node/core";
import { type FormattedExecutionResult, print } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

export type Result<D> = FormattedExecutionResult<D>;

// biome-ignore lint/suspicious/noExplicitAny: any document shape is accepted; ResultOf/VariablesOf recover the types.
type Doc = TypedDocumentNode<any, any>;

export interface HttpResult<D> {
  status: number;
  body: Result<D>;
  text: string;
}

/** POST application/json, as most clients do. */
export async function query<T extends Doc>(
  baseUrl: string,
  document: T,
  variables: VariablesOf<T>,
): Promise<HttpResult<ResultOf<T>>> {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Result<ResultOf<T>>, text };
}

/** GET with the query in the URL (GraphQL over HTTP), as caches and the benchmark do. */
export async function queryByGet<T extends Doc>(
  baseUrl: string,
  document: T,
  variables: VariablesOf<T>,
): Promise<HttpResult<ResultOf<T>>> {
  const params = new URLSearchParams({ query: print(document), variables: JSON.stringify(variables) });
  // CSRF prevention: a GET must carry a header a browser would preflight.
  const res = await fetch(`${baseUrl}/graphql?${params}`, {
    headers: { accept: "application/json", "x-graphql-yoga-csrf": "1" },
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Result<ResultOf<T>>, text };
}

/** Messages of one subscription, in arrival order; `next()` waits for the next one. */
export interface Subscription<D> {
  next(withinMs?: number): Promise<Result<D>>;
  /** Every message received so far, including those already taken by next(). */
  readonly received: Array<Result<D>>;
  /** Resolves once the server completed the subscription (or errored it). */
  readonly done: Promise<void>;
  close(): Promise<void>;
}

function createInbox<D>() {
  const received: Array<Result<D>> = [];
  const queue: Array<Result<D>> = [];
  const waiters: Array<(r: Result<D>) => void> = [];
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    received,
    done,
    finish: () => finish(),
    push(r: Result<D>) {
      received.push(r);
      const w = waiters.shift();
      if (w) w(r);
      else queue.push(r);
    },
    next(withinMs = 10_000): Promise<Result<D>> {
      const ready = queue.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no subscription message within ${withinMs} ms (got ${received.length} so far)`));
        }, withinMs);
        const waiter = (r: Result<D>) => {
          clearTimeout(timer);
          resolve(r);
        };
        waiters.push(waiter);
      });
    },
  };
}

/** A graphql-ws client (graphql-transport-ws protocol) on ws://…/graphql. */
export function subscribeWs<T extends Doc>(
  baseUrl: string,
  document: T,
  variables: VariablesOf<T>,
): Subscription<ResultOf<T>> {
  const inbox = createInbox<ResultOf<T>>();
  const client = createClient({
    url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
  });
  const unsubscribe = client.subscribe<ResultOf<T>>(
    { query: print(document), variables },
    {
      next: (r) => inbox.push(r as Result<ResultOf<T>>),
      error: (err) => {
        // graphql-ws reports operation errors as an array of GraphQL errors.
        if (Array.isArray(err)) inbox.push({ errors: err });
        inbox.finish();
      },
      complete: () => inbox.finish(),
    },
  );
  return {
    next: inbox.next,
    received: inbox.received,
    done: inbox.done,
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
}

/** Yoga's SSE transport: POST with `Accept: text/event-stream`, one `event: next` per message. */
export function subscribeSse<T extends Doc>(
  baseUrl: string,
  document: T,
  variables: VariablesOf<T>,
): Subscription<ResultOf<T>> & { status: Promise<number> } {
  const inbox = createInbox<ResultOf<T>>();
  const abort = new AbortController();
  let setStatus: (n: number) => void = () => {};
  const status = new Promise<number>((resolve) => {
    setStatus = resolve;
  });
  const reading = (async () => {
    const res = await fetch(`${baseUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: print(document), variables }),
      signal: abort.signal,
    });
    setStatus(res.status);
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = "";
    const reader = res.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split("\n");
        const event = lines
          .find((l) => l.startsWith("event:"))
          ?.slice(6)
          .trim();
        const data = lines
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trimStart())
          .join("\n");
        if (event === "next" && data) inbox.push(JSON.parse(data) as Result<ResultOf<T>>);
        if (event === "complete") return;
      }
    }
  })()
    .catch((err: unknown) => {
      if (!abort.signal.aborted) throw err;
    })
    .finally(() => inbox.finish());
  return {
    next: inbox.next,
    received: inbox.received,
    done: inbox.done,
    status,
    async close() {
      abort.abort();
      await reading.catch(() => {});
    },
  };
}
