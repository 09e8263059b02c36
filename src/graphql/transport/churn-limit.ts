/**
 * The operation rate limit (--max-operation-rate) at the two subscription transports: one
 * budget per graphql-ws connection (checked in ws-protocol.ts before an operation is parsed),
 * one per remote address for SSE (each subscription is its own HTTP request; checked here before
 * Yoga sees it). An operation over the rate gets a GraphQL error with code RATE_LIMITED saying
 * which limit, at once; nothing is parsed, planned or read for it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { GraphQLError } from "graphql";
import {
  type ChurnBudget,
  type ChurnOptions,
  churnMessage,
  createChurnBudget,
  createKeyedChurnBudgets,
} from "../../http/churn-budget.js";

export interface ChurnLimit {
  /** A graphql-ws connection's own budget (undefined: no limit). */
  forConnection(): ChurnBudget | undefined;
  /** The error for a graphql-ws operation over its connection's rate (counted). */
  wsRefusal(): GraphQLError;
  /** Answers an SSE request over its address's rate (429, a GraphQL error body) and returns true; else false. */
  refuseSse(req: IncomingMessage, res: ServerResponse): boolean;
}

export function createChurnLimit(
  ratePerSecond: number,
  burst: number,
  onRefused: (transport: string) => void,
): ChurnLimit {
  const opts: ChurnOptions = { ratePerSecond, burst: Math.max(1, burst) };
  const off = ratePerSecond <= 0;
  const sse = createKeyedChurnBudgets(opts);
  const refusal = (per: string) => new GraphQLError(churnMessage(opts, per), { extensions: { code: "RATE_LIMITED" } });
  return {
    forConnection: () => (off ? undefined : createChurnBudget(opts)),
    wsRefusal() {
      onRefused("ws");
      return refusal("connection");
    },
    refuseSse(req, res) {
      if (off || !(req.headers.accept ?? "").includes("text/event-stream")) return false;
      if (sse.take(req.socket.remoteAddress ?? "")) return false;
      onRefused("sse");
      const body = JSON.stringify({ errors: [refusal("address's SSE subscriptions").toJSON()] });
      res.writeHead(429, {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Length": Buffer.byteLength(body),
        "Retry-After": String(Math.max(1, Math.ceil(1 / ratePerSecond))),
        "Cache-Control": "no-store",
      });
      res.end(body);
      return true;
    },
  };
}
