/**
 * Yoga's SSE transport, framed for fan-out. Yoga's own processor serialises and encodes every
 * message for every subscriber and writes it as two chunks; for a live stream this processor
 * writes one chunk per message, encoded once per result object — and the shared subscription
 * results (plugins/use-shared-execution.ts) are one object for all subscribers of a period and operation.
 * Same wire format (`event: next` / `event: complete`, a `:` comment as keep-alive); anything
 * that is not a live stream (an error instead of a subscription) goes to Yoga's processor.
 *
 * When the server shuts down (`shutdown.begin()`), a stream ends WITHOUT `event: complete`: to
 * graphql-sse and EventSource that is a dropped connection, and they reconnect (to the next
 * process, which sends the current state first); `complete` would tell them the subscription is
 * over for good. `shutdown.ended()` waits for the streams' responses to end properly, so the
 * server does not cut them half-way (a cut is a reconnect too, but not a clean one).
 *
 * A message is produced only when the response has written the previous ones (no read-ahead),
 * so a client that reads slowly gets the newest state, and one that stopped reading is closed
 * by the send guard (http/send-guard.ts) — what waits for it is bounded meanwhile.
 */
import type { ServerResponse } from "node:http";
import { type ExecutionResult, GraphQLError } from "graphql";
import { getSSEProcessor, isAsyncIterable, type Plugin } from "graphql-yoga";
import type { SendGuard, WatchedConnection } from "../../http/send-guard.js";
import type { ServerContext } from "../context.js";

const KEEP_ALIVE_MS = 12_000;
type FetchAPI = Parameters<ReturnType<typeof getSSEProcessor>>[1];

export interface SseShutdown {
  readonly closing: boolean;
  /** From now on, streams that end send no `complete`. */
  begin(): void;
  track(res: ServerResponse): void;
  /** Resolves once every tracked response has ended, or after `withinMs`. */
  ended(withinMs: number): Promise<void>;
}

export function createSseShutdown(): SseShutdown {
  let closing = false;
  const open = new Set<ServerResponse>();
  return {
    get closing() {
      return closing;
    },
    begin() {
      closing = true;
    },
    track(res) {
      open.add(res);
      res.once("close", () => open.delete(res));
    },
    async ended(withinMs) {
      if (open.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...open].map((res) => new Promise((resolve) => res.once("close", resolve)))),
        new Promise((resolve) => {
          timer = setTimeout(resolve, withinMs);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

export function useFramedSse(guard: SendGuard, shutdown: SseShutdown = createSseShutdown()): Plugin {
  const yogaSse = getSSEProcessor();
  const encoder = new TextEncoder();
  const frames = new WeakMap<object, Uint8Array>();
  const PING = encoder.encode(":\n\n");
  const COMPLETE = encoder.encode("event: complete\ndata:\n\n");

  const frame = (result: ExecutionResult): Uint8Array => {
    let bytes = frames.get(result);
    if (!bytes) {
      bytes = encoder.encode(`event: next\ndata: ${serialize(result)}\n\n`);
      frames.set(result, bytes);
    }
    return bytes;
  };

  const stream = (
    results: AsyncIterable<ExecutionResult>,
    fetchAPI: FetchAPI,
    res: ServerResponse | undefined,
  ): Response => {
    const iterator = results[Symbol.asyncIterator]();
    let keepAlive: NodeJS.Timeout | undefined;
    let watched: WatchedConnection | undefined;
    const finish = () => {
      clearInterval(keepAlive);
      watched?.unwatch();
      watched = undefined;
    };
    const body = new fetchAPI.ReadableStream<Uint8Array>({
      start(controller) {
        // A first chunk at once: some clients wait for one before they report the response.
        controller.enqueue(PING);
        keepAlive = setInterval(() => {
          // Not behind unsent data: a client that is not reading gets no pile of pings.
          if (!res || res.writableLength === 0) controller.enqueue(PING);
        }, KEEP_ALIVE_MS);
        if (!res) return;
        shutdown.track(res);
        // Gone (or closed by the guard): detach even if the response never asks for more.
        res.once("close", () => {
          finish();
          void iterator.return?.();
        });
        watched = guard.watch({
          transport: "sse",
          // The stream in front of the response holds at most its high-water mark (16 KiB).
          buffered: () => res.writableLength,
          drop: () => res.destroy(),
        });
      },
      // Called only when the stream wants more: the response has taken what came before.
      async pull(controller) {
        watched?.progressed();
        try {
          const { value, done } = await iterator.next();
          if (value != null) controller.enqueue(frame(value));
          if (done) {
            finish();
            if (!shutdown.closing) controller.enqueue(COMPLETE);
            controller.close();
          } else {
            watched?.check();
          }
        } catch (err) {
          finish();
          controller.error(err);
        }
      },
      async cancel() {
        finish();
        await iterator.return?.();
      },
    });
    return new fetchAPI.Response(body, {
      status: 200,
      headers: { "Content-Type": "text/event-stream", Connection: "keep-alive", "Cache-Control": "no-cache" },
    });
  };

  return {
    onResultProcess({ result, setResultProcessor, request, serverContext }) {
      if (!isAsyncIterable(result)) return;
      const accept = request.headers.get("accept") ?? "";
      if (!accept.includes("text/event-stream")) return;
      const res = (serverContext as Partial<ServerContext>).res;
      setResultProcessor(
        (r, fetchAPI, mediaType) =>
          isAsyncIterable(r)
            ? stream(r as AsyncIterable<ExecutionResult>, fetchAPI, res)
            : yogaSse(r, fetchAPI, mediaType),
        "text/event-stream",
      );
    },
  };
}

/** A result as clients see it: errors as their JSON, without Yoga's internal extensions. */
function serialize(result: ExecutionResult): string {
  if (!result.errors?.length && !result.extensions) return JSON.stringify(result);
  const { errors, extensions, ...rest } = result;
  return JSON.stringify({
    ...rest,
    ...(errors?.length ? { errors: errors.map(publicError) } : {}),
    ...(extensions && Object.keys(extensions).some((k) => k !== "http") ? { extensions: withoutHttp(extensions) } : {}),
  });
}

function publicError(error: GraphQLError | Error) {
  const json = error instanceof GraphQLError ? error.toJSON() : { message: error.message };
  if (!("extensions" in json) || !json.extensions) return json;
  const { http: _http, unexpected: _unexpected, ...extensions } = json.extensions;
  return Object.keys(extensions).length ? { ...json, extensions } : { ...json, extensions: undefined };
}

function withoutHttp(extensions: Record<string, unknown>): Record<string, unknown> {
  const { http: _http, ...rest } = extensions;
  return rest;
}
