/**
 * The door of /graphql when API tokens are configured. HTTP requests (queries, SSE) are
 * authenticated before the query cache and Yoga; a graphql-ws connection at `connection_init`.
 * Who was let in travels in Yoga's server context (ServerContext); the resolvers' context reads it.
 *
 * Open without a token: GraphiQL's page (GET with Accept: text/html; it holds no data and needs
 * a token for every operation it sends) and CORS preflights (browsers never send credentials on them).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { GraphQLError } from "graphql";
import { CloseCode } from "graphql-ws";
import { authenticateRequest, authenticateToken, NOBODY } from "../../auth/request.js";
import { type Principal, presentedToken, type TokenTable } from "../../auth/tokens.js";
import type { GraphqlLimits } from "../../config.js";
import type { ServerContext } from "../context.js";

/** Authenticates an HTTP request to /graphql: its server context, or undefined once it was answered 401. */
export function admitHttp(tokens: TokenTable, req: IncomingMessage, res: ServerResponse): ServerContext | undefined {
  // Nobody: these read no data (a forgotten check fails closed).
  if (req.method === "OPTIONS" || isGraphiqlPage(req)) return { req, res, principal: NOBODY, credentialed: false };
  const auth = authenticateRequest(tokens, req);
  if (!auth.ok) {
    const body = JSON.stringify({ errors: [{ message: auth.reason, extensions: { code: "UNAUTHENTICATED" } }] });
    res.writeHead(401, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(body),
      "Cache-Control": "no-store",
      "WWW-Authenticate": auth.challenge,
    });
    res.end(body);
    return undefined;
  }
  // With tokens on, every request let in here carried a valid one (a header, or `?token=` where an
  // EventSource cannot set headers); with tokens off, none did.
  return { req, res, principal: auth.principal, credentialed: tokens.enabled };
}

/**
 * Authenticates a graphql-ws connection at `connection_init`: the token from its payload
 * (`{ "authorization": "Bearer <t>" }` or `{ "token": "<t>" }`), else from the upgrade request
 * (Authorization header or `?token=`). A missing or bad token closes the socket with 4401
 * (graphql-ws clients treat it as fatal and do not retry with the same token).
 */
export function admitConnection(
  tokens: TokenTable,
  params: Readonly<Record<string, unknown>> | undefined,
  request: IncomingMessage,
  close: (code: number, reason: string) => void,
): Principal | undefined {
  const fromPayload = tokenFromParams(params);
  const auth =
    fromPayload === undefined ? authenticateRequest(tokens, request) : authenticateToken(tokens, fromPayload);
  if (auth.ok) return auth.principal;
  close(CloseCode.Unauthorized, auth.reason);
  return undefined;
}

/** An operation a transport is about to start, as its door sees it. */
export interface OperationRequest {
  transport: "ws" | "sse";
  /** Operations running on the same connection, this one included (SSE: one per response). */
  running: number;
}

/**
 * The door for each operation a long-lived connection starts (graphql-ws subscribe, an SSE
 * subscription): the error to refuse it with, or undefined. THE place for per-operation bounds
 * (operations at once; a subscribe/complete churn bound belongs here too).
 */
export function admitOperation(limits: GraphqlLimits, op: OperationRequest): GraphQLError | undefined {
  if (op.running > limits.maxWsOperations) {
    return new GraphQLError(
      `too many operations on this connection: at most ${limits.maxWsOperations} may run at once`,
      { extensions: { code: "BAD_USER_INPUT" } },
    );
  }
  return undefined;
}

function tokenFromParams(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!params) return undefined;
  const authorization = params["authorization"] ?? params["Authorization"];
  if (typeof authorization === "string") return presentedToken(authorization, undefined) ?? "";
  const token = params["token"];
  if (token === undefined) return undefined;
  return typeof token === "string" ? token : "";
}

function isGraphiqlPage(req: IncomingMessage): boolean {
  if (req.method !== "GET" || !(req.headers.accept ?? "").includes("text/html")) return false;
  const [path, search = ""] = (req.url ?? "").split("?");
  // Only the bare page is open: a URL that carries an operation is a query, and needs a token.
  if (new URLSearchParams(search).has("query")) return false;
  return path === "/graphql" || path === "/graphql/";
}
