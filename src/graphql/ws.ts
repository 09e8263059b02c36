/**
 * graphql-ws (`graphql-transport-ws` protocol) on the same path and port as HTTP. Every operation
 * is parsed, validated, given its context and executed through Yoga's `getEnveloped`, so the
 * plugins, limits and error masking of the HTTP path apply here too.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type ExecutionArgs, GraphQLError } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { Logger } from "../log.js";
import type { StatsYoga } from "./yoga.js";

type EnvelopedRoot = Pick<ReturnType<StatsYoga["getEnveloped"]>, "execute" | "subscribe">;

export interface GraphqlWsServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): Promise<void>;
}

export function createGraphqlWsServer(yoga: StatsYoga, log: Logger): GraphqlWsServer {
  const wss = new WebSocketServer({ noServer: true });
  const server = useServer(
    {
      isProd: true,
      // The enveloped execute/subscribe ride in rootValue from onSubscribe to here.
      execute: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
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
    },
    wss,
  );
  wss.on("error", (err) => log.error({ err }, "graphql-ws server error"));
  return {
    handleUpgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
    },
    async close() {
      await server.dispose();
    },
  };
}
