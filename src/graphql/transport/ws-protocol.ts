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
 */
import type { IncomingMessage } from "node:http";
import { type ExecutionArgs, GraphQLError } from "graphql";
import { makeServer, type Server } from "graphql-ws";
import type WebSocket from "ws";
import { NOBODY } from "../../auth/request.js";
import type { Principal, TokenTable } from "../../auth/tokens.js";
import type { GraphqlLimits } from "../../config.js";
import type { ServerContext } from "../context.js";
import type { StatsYoga } from "../yoga.js";
import { admitConnection } from "./admission.js";

type EnvelopedRoot = Pick<ReturnType<StatsYoga["getEnveloped"]>, "execute" | "subscribe">;

/** What the socket adapter hands over with each connection. */
export interface WsExtra {
  socket: WebSocket;
  request: IncomingMessage;
  /** Set at connection_init by the door (admission.ts); every operation of the connection runs as it. */
  principal?: Principal | undefined;
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

export function createWsProtocol(yoga: StatsYoga, limits: GraphqlLimits, tokens: TokenTable): WsProtocol {
  /** The payload's JSON per result object, as graphql-ws would write it. */
  const payloads = new WeakMap<object, string>();
  let staged: string | undefined;

  /** The `payload` of a `next` message: graphql-ws's own shape (errors last, as their toJSON). */
  const payloadJson = (result: { errors?: readonly GraphQLError[] | undefined }): string => {
    let json = payloads.get(result);
    if (json === undefined) {
      const { errors, ...rest } = result;
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
    onSubscribe: async (ctx, _id, params) => {
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
