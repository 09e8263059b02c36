/**
 * The graphql-ws protocol server, apart from any socket (as graphql-ws splits `makeServer` from
 * its `use/ws` adapter; ours is ws.ts). Every operation is parsed, validated, given its context
 * and executed through Yoga's `getEnveloped`, so the plugins, limits and error masking of the
 * HTTP path apply here too. API tokens are checked once per connection, at connection_init.
 *
 * What a client is shown of a result (masking, the fields it may see, the JSON) is
 * result-encoding.ts's, as for HTTP and SSE.
 *
 * A live subscription (one fed by a live channel) goes further: its `next` frames are written
 * straight from the channel to the socket (`directStream`), one take() per frame sent, with no
 * async iterator, promise or graphql-ws loop per message; graphql-ws holds a stand-in iterator
 * that ends when the channel does, and its end (complete, or the error, masked by envelop) goes
 * through graphql-ws as before. The frames are the same bytes graphql-ws would send.
 *
 * Each operation passes the door for operations (admission.ts `admitOperation`) first.
 */
import type { IncomingMessage } from "node:http";
import { type ExecutionArgs, type ExecutionResult, GraphQLError, type GraphQLFormattedError } from "graphql";
import { makeServer, type Server } from "graphql-ws";
import { isAsyncIterable } from "graphql-yoga";
import type WebSocket from "ws";
import { NOBODY } from "../../auth/request.js";
import type { Principal, TokenTable } from "../../auth/tokens.js";
import type { GraphqlLimits } from "../../config.js";
import type { ChurnBudget } from "../../http/churn-budget.js";
import { takeEach } from "../../live/channel.js";
import { type LiveResults, type ServerContext, takeLiveResults } from "../context.js";
import type { StatsYoga } from "../yoga.js";
import { admitConnection, admitOperation } from "./admission.js";
import type { ChurnLimit } from "./churn-limit.js";
import type { ResultEncoder } from "./result-encoding.js";

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

export function createWsProtocol(
  yoga: StatsYoga,
  limits: GraphqlLimits,
  tokens: TokenTable,
  results: ResultEncoder,
  churn?: ChurnLimit,
): Server<WsExtra> {
  /** A live result's payload as bytes, encoded once per result object (one for every subscriber). */
  const payloadBytes = new WeakMap<object, Buffer>();

  return makeServer<Record<string, unknown> | undefined, WsExtra>({
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
      const refused = admitOperation(limits, { transport: "ws", running: Object.keys(ctx.subscriptions).length });
      if (refused) return [refused];
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
      const source = takeLiveResults(args.contextValue);
      // Not when the client completed the operation meanwhile: graphql-ws ends it at once.
      if (source === undefined || !isAsyncIterable(result) || !(id in ctx.subscriptions)) return undefined;
      // The frame: this operation's head, then the payload's bytes (encoded once per result), then `}`.
      const head = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
      return directStream(result, source, (r, done) => {
        let payload = payloadBytes.get(r);
        if (payload === undefined) {
          payload = Buffer.from(results.json(r));
          payloadBytes.set(r, payload);
        }
        const frame = Buffer.allocUnsafe(head.length + payload.length + 1);
        head.copy(frame, 0);
        payload.copy(frame, head.length);
        frame[frame.length - 1] = 0x7d; // }
        ctx.extra.write(frame, done);
      });
    },
    // An operation refused (syntax, validation, limits): the errors as a client may see them.
    onError: (_ctx, _id, _payload, errors) =>
      (results.visible({ errors }) as { errors?: readonly GraphQLFormattedError[] }).errors,
    // Queries, and subscriptions not fed by a live channel: graphql-ws stringifies what a client may see.
    onNext: (_ctx, _id, _payload, _args, result) => results.visible(result as ExecutionResult) as never,
  });
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
  source: LiveResults,
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
