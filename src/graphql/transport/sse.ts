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
 *
 * A live subscription's results are written straight from its channel (Channel.take), which
 * its context carries (GraphqlContext.liveResults; see plugins/use-shared-execution.ts): no
 * promise and no iterator chain per message. The stream's end (done, or an error such as
 * SUBSCRIBER_TOO_SLOW, sent as a last `next` event before `complete`) is then read from Yoga's
 * iterator. What a client is shown of a result (masking, the fields it may see, the JSON) is
 * result-encoding.ts's, as for HTTP and graphql-ws.
 */
import type { ServerResponse } from "node:http";
import type { ExecutionResult, GraphQLError } from "graphql";
import { getSSEProcessor, isAsyncIterable, type Plugin } from "graphql-yoga";
import type { SendGuard } from "../../http/send-guard.js";
import { takeEach } from "../../live/channel.js";
import { type LiveResults, type ServerContext, takeLiveResults } from "../context.js";
import type { OperationRequest } from "./admission.js";
import type { ResultEncoder } from "./result-encoding.js";

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

/**
 * `admit`: the door for each subscription (admission.ts `admitOperation`); a refusal is the
 * stream's one event, and the subscription is ended at once.
 */
export function useFramedSse(
  guard: SendGuard,
  results: ResultEncoder,
  shutdown: SseShutdown = createSseShutdown(),
  admit: (op: OperationRequest) => GraphQLError | undefined = () => undefined,
): Plugin {
  const yogaSse = getSSEProcessor();
  const encoder = new TextEncoder();
  const frames = new WeakMap<object, Uint8Array>();
  const PING = encoder.encode(":\n\n");
  const COMPLETE = encoder.encode("event: complete\ndata:\n\n");

  const frame = (result: ExecutionResult): Uint8Array => {
    let bytes = frames.get(result);
    if (!bytes) {
      bytes = encoder.encode(`event: next\ndata: ${results.json(result)}\n\n`);
      frames.set(result, bytes);
    }
    return bytes;
  };

  const HEADERS = { "Content-Type": "text/event-stream", Connection: "keep-alive", "Cache-Control": "no-cache" };

  /**
   * Writes the stream straight to the response, one write per message (node:http sends a write
   * and its chunk framing in one writev, so a tick's message is one syscall per subscriber), and
   * hands Yoga a Response only once the stream is over and the response ended (Yoga then has
   * nothing left to send). No Web stream and no pump between the results and the socket.
   */
  const stream = async (
    results: AsyncIterable<ExecutionResult>,
    fetchAPI: FetchAPI,
    res: ServerResponse,
    direct: LiveResults | undefined,
  ): Promise<Response> => {
    const iterator = results[Symbol.asyncIterator]();
    let gone = false;
    /** Resolves once the response has taken what was written (or is gone). */
    let drained: (() => void) | undefined;
    const onDrain = () => {
      const resolve = drained;
      drained = undefined;
      resolve?.();
    };
    // As Yoga's sender does for a streamed body: no idle timeout, no Nagle delay, TCP keep-alive.
    res.socket?.setTimeout(0);
    res.socket?.setNoDelay(true);
    res.socket?.setKeepAlive(true);
    res.writeHead(200, HEADERS);
    // A first chunk at once: some clients wait for one before they report the response.
    res.write(PING);
    const keepAlive = setInterval(() => {
      // Not behind unsent data: a client that is not reading gets no pile of pings.
      if (res.writableLength === 0) res.write(PING);
    }, KEEP_ALIVE_MS);
    shutdown.track(res);
    const watched = guard.watch({
      transport: "sse",
      buffered: () => res.writableLength,
      drop: () => res.destroy(),
    });
    const finish = () => {
      clearInterval(keepAlive);
      watched.unwatch();
    };
    /**
     * Writes what the channel hands over until it has nothing more to hand (or the client is
     * gone); a value is taken once the previous one is written, or once the response drained.
     */
    const writeDirect = (source: LiveResults) =>
      new Promise<void>((resolve, reject) => {
        takeEach(
          source,
          (result, next) => {
            if (gone) return resolve();
            let bytes: Uint8Array;
            try {
              bytes = frame(result);
            } catch (error) {
              return reject(error);
            }
            if (res.write(bytes)) {
              watched.progressed();
              return next();
            }
            watched.check();
            drained = () => {
              if (gone) return resolve();
              watched.progressed();
              next();
            };
          },
          resolve,
        );
      });
    // Gone (or closed by the guard): detach even while waiting for the next result.
    res.once("close", () => {
      gone = true;
      finish();
      onDrain();
      void iterator.return?.();
    });
    res.on("drain", onDrain);
    try {
      if (direct) await writeDirect(direct);
      for (;;) {
        const { value, done } = await iterator.next();
        if (gone) break;
        if (value != null && !res.write(frame(value))) {
          // No read-ahead: the next result is taken only once the client has taken this one.
          watched.check();
          await new Promise<void>((resolve) => {
            drained = resolve;
          });
          if (gone) break;
        }
        watched.progressed();
        if (done) {
          finish();
          if (!shutdown.closing) res.write(COMPLETE);
          res.end();
          break;
        }
      }
    } catch {
      // A failed stream: the client sees the connection drop (and reconnects), as before.
      finish();
      res.destroy();
    }
    // The response is over: Yoga finds it ended and sends nothing.
    return new fetchAPI.Response(null, { status: 200 });
  };

  return {
    onResultProcess({ result, setResult, setResultProcessor, request, serverContext }) {
      if (!isAsyncIterable(result)) return;
      const accept = request.headers.get("accept") ?? "";
      if (!accept.includes("text/event-stream")) return;
      // One subscription per response: the connection runs this one alone.
      const refused = admit({ transport: "sse", running: 1 });
      if (refused) {
        // Its iterator ends (detached from the feed); Yoga's SSE processor sends the error, then `complete`.
        void result[Symbol.asyncIterator]().return?.();
        setResult({ errors: [refused] });
        return;
      }
      const res = (serverContext as Partial<ServerContext>).res;
      // Yoga's GraphQL context is the server context (extended), so the operation's channel is found by it.
      const direct = takeLiveResults(serverContext);
      setResultProcessor(
        (r, fetchAPI, mediaType) =>
          // Without a node:http response (not through our server), Yoga's own framing: same wire format.
          isAsyncIterable(r) && res
            ? stream(r as AsyncIterable<ExecutionResult>, fetchAPI, res, direct)
            : yogaSse(r, fetchAPI, mediaType),
        "text/event-stream",
      );
    },
  };
}
