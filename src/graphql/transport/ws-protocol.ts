/**
 * The graphql-ws protocol server, apart from any socket (as graphql-ws splits `makeServer` from
 * its `use/ws` adapter; ours is ws.ts). Every operation is parsed, validated, given its context
 * and executed through Yoga's `getEnveloped`, so the plugins, limits and error masking of the
 * HTTP path apply here too. API tokens are checked once per connection, at connection_init.
 *
 * A `next` message is serialised once per result object, not once per subscriber: live results
 * are one object for every subscriber of a period and operation (plugins/use-shared-execution.ts).
 * graphql-ws builds and stringifies `{id, type: "next", payload}` itself, so `onNext` hands it a
 * stand-in payload that serialises as `{}` and, while being serialised, stages the real frame
 * (`{"id":…,"type":"next","payload":` + the shared JSON + `}`); graphql-ws calls the socket's
 * `send` synchronously right after, and the socket adapter (ws.ts) sends the staged frame instead
 * (`sendable`). The bytes are what graphql-ws itself would send.
 *
 * A live subscription (one fed by a live channel) goes further: its `next` frames are written
 * straight from the channel to the socket (`directStream`), one take() per frame sent, with no
 * async iterator, promise or graphql-ws loop per message; graphql-ws holds a stand-in iterator
 * that ends when the channel does, and its end (complete, or the error, masked by envelop) goes
 * through graphql-ws as before. The frames are the same bytes.
 */
import type { IncomingMessage } from "node:http";
import { type ExecutionArgs, type ExecutionResult, GraphQLError } from "graphql";
import { makeServer, type Server } from "graphql-ws";
import { isAsyncIterable } from "graphql-yoga";
import type WebSocket from "ws";
import { NOBODY } from "../../auth/request.js";
import type { Principal, TokenTable } from "../../auth/tokens.js";
import type { GraphqlLimits } from "../../config.js";
import type { ChurnBudget } from "../../http/churn-budget.js";
import { takeEach } from "../../live/channel.js";
import type { ServerContext } from "../context.js";
import { type DirectSource, directSource } from "../plugins/use-shared-execution.js";
import { resultMasker, type StatsYoga } from "../yoga.js";
import { admitConnection } from "./admission.js";
import type { ChurnLimit } from "./churn-limit.js";

type EnvelopedRoot = Pick<ReturnType<StatsYoga["getEnveloped"]>, "execute" | "subscribe">;

/** What the socket adapter hands over with each connection. */
export interface WsExtra {
  socket: WebSocket;
  request: IncomingMessage;
  /** Set at connection_init by the door (admission.ts); every operation of the connection runs as it. */
  principal?: Principal | undefined;
  /** Sends a text frame on the socket, as graphql-ws's `send` does; `done` once it has left. */
  write(frame: string | Buffer, done: () => void): void;
  /** How many more operations this connection may start now (--max-operation-rate); made at its first. */
  churn?: ChurnBudget | undefined;
}

export interface WsProtocol {
  server: Server<WsExtra>;
  /**
   * What to put on the wire for a message graphql-ws hands the socket: the staged `next` frame
   * when there is one (see the file comment), else the message itself.
   */
  sendable(message: string): string;
}

/** What graphql-ws makes of a stand-in payload: `{"id":…,"type":"next","payload":{}}`. */
const STAND_IN_END = ',"type":"next","payload":{}}';

export function createWsProtocol(
  yoga: StatsYoga,
  limits: GraphqlLimits,
  tokens: TokenTable,
  churn?: ChurnLimit,
): WsProtocol {
  /** The payload's JSON per result object, as graphql-ws would write it; and as bytes, for direct frames. */
  const payloads = new WeakMap<object, string>();
  const payloadBytes = new WeakMap<object, Buffer>();
  let staged: string | undefined;
  const mask = resultMasker(yoga);

  /**
   * The `payload` of a `next` message: graphql-ws's own shape (errors last, as their toJSON),
   * masked (a no-op on results that came through envelop's masking).
   */
  const payloadJson = (result: { errors?: readonly GraphQLError[] | undefined }): string => {
    let json = payloads.get(result);
    if (json === undefined) {
      const { errors, ...rest } = mask(result as ExecutionResult);
      json = JSON.stringify({ ...rest, ...(errors ? { errors: errors.map((e) => e.toJSON()) } : {}) });
      payloads.set(result, json);
    }
    return json;
  };

  class StagedNext {
    constructor(readonly frame: string) {}
    toJSON() {
      staged = this.frame;
      return {};
    }
  }

  const server = makeServer<Record<string, unknown> | undefined, WsExtra>({
    connectionInitWaitTimeout: limits.wsInitTimeoutMs,
    // API tokens: checked once per connection; a missing or bad one closes it with 4401.
    onConnect: (ctx) => {
      const principal = admitConnection(tokens, ctx.connectionParams, ctx.extra.request, (code, reason) =>
        ctx.extra.socket.close(code, reason),
      );
      ctx.extra.principal = principal;
      return principal !== undefined;
    },
    // The enveloped execute/subscribe ride in rootValue from onSubscribe to here.
    execute: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).execute(args),
    subscribe: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).subscribe(args),
    onSubscribe: async (ctx, id, params) => {
      // Starts are counted before anything else: subscribe-and-complete costs a plan each time.
      ctx.extra.churn ??= churn?.forConnection();
      if (churn && ctx.extra.churn && !ctx.extra.churn.take()) return [churn.wsRefusal()];
      // graphql-ws registers the operation before this hook, so the count includes this one.
      const running = Object.keys(ctx.subscriptions).length;
      if (running > limits.maxWsOperations) {
        return [
          new GraphQLError(
            `too many operations on this connection: at most ${limits.maxWsOperations} may run at once`,
            { extensions: { code: "BAD_USER_INPUT" } },
          ),
        ];
      }
      const serverContext: ServerContext = {
        req: ctx.extra.request,
        // Never reached without onConnect having admitted the connection; NOBODY would read nothing.
        principal: ctx.extra.principal ?? NOBODY,
        credentialed: false,
        // A `complete` deletes the operation at once: what is not yet planned is then skipped.
        operationOpen: () => id in ctx.subscriptions,
      };
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        ...ctx,
        ...serverContext,
        socket: ctx.extra.socket,
        params,
      });
      let document: ReturnType<typeof parse>;
      try {
        document = parse(params.query);
      } catch (err) {
        if (err instanceof GraphQLError) return [err];
        throw err;
      }
      const errors = validate(schema, document);
      if (errors.length > 0) return errors;
      const args: ExecutionArgs = {
        schema,
        document,
        operationName: params.operationName ?? null,
        variableValues: params.variables ?? null,
        contextValue: await contextFactory(),
        rootValue: { execute, subscribe } satisfies EnvelopedRoot,
      };
      return args;
    },
    // A live subscription's frames are written from its channel (see the file comment).
    onOperation: (ctx, id, _params, args, result) => {
      const source = directSource(args.contextValue);
      // Not when the client completed the operation meanwhile: graphql-ws ends it at once.
      if (source === undefined || !isAsyncIterable(result) || !(id in ctx.subscriptions)) return undefined;
      // The frame: this operation's head, then the payload's bytes (encoded once per result), then `}`.
      const head = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
      return directStream(result, source, (r, done) => {
        let payload = payloadBytes.get(r);
        if (payload === undefined) {
          payload = Buffer.from(payloadJson(r));
          payloadBytes.set(r, payload);
        }
        const frame = Buffer.allocUnsafe(head.length + payload.length + 1);
        head.copy(frame, 0);
        payload.copy(frame, head.length);
        frame[frame.length - 1] = 0x7d; // }
        ctx.extra.write(frame, done);
      });
    },
    // The frame is built here from the shared payload JSON; graphql-ws stringifies the stand-in.
    onNext: (_ctx, id, _payload, _args, result) =>
      new StagedNext(`{"id":${JSON.stringify(id)},"type":"next","payload":${payloadJson(result)}}`) as never,
  });

  return {
    server,
    sendable(message) {
      const frame = staged;
      if (frame === undefined) return message;
      staged = undefined;
      // Staged and sent in one synchronous step; anything else would be a graphql-ws change.
      if (!message.endsWith(STAND_IN_END)) throw new Error("graphql-ws sent something else than the staged next");
      return frame;
    },
  };
}

/**
 * Writes each result the channel hands over (`send`, which calls back once the frame has left:
 * then the next is taken, so a slow client skips to the newest state). Returns the iterator
 * graphql-ws holds: it yields nothing until the channel has nothing more to hand over, then
 * reads the end from the operation's own iterator (done, or the error through envelop's masking);
 * graphql-ws's return() (a client's complete, a closed socket) stops the writing and ends the
 * operation's iterator, which detaches the channel.
 */
function directStream<R>(
  results: AsyncIterable<R>,
  source: DirectSource,
  send: (result: ExecutionResult, done: () => void) => void,
): AsyncGenerator<R> {
  const iterator = results[Symbol.asyncIterator]();
  let stopped = false;
  let failure: unknown;
  let onStopped: () => void = () => {};
  const whenStopped = new Promise<void>((resolve) => {
    onStopped = resolve;
  });
  const stop = () => {
    if (stopped) return;
    stopped = true;
    onStopped();
  };
  takeEach(
    source,
    (result, next) => {
      if (stopped) return;
      try {
        send(result, next);
      } catch (error) {
        // As if graphql-ws's own send had failed: the operation ends with this error.
        failure = error;
        stop();
      }
    },
    stop,
  );
  const ended = (value?: unknown): Promise<IteratorResult<R>> => {
    stop();
    return iterator.return ? iterator.return(value) : Promise.resolve({ value: undefined, done: true });
  };
  const stand: AsyncGenerator<R> = {
    next: () =>
      whenStopped.then(() => (failure === undefined ? iterator.next() : ended().then(() => Promise.reject(failure)))),
    return: ended,
    throw: (error: unknown) => {
      stop();
      return iterator.throw ? iterator.throw(error) : Promise.reject(error);
    },
    [Symbol.asyncIterator]: () => stand,
  };
  return stand;
}
