/**
 * CORS for every route the service answers — GraphQL, REST, health, metrics, and every error
 * (401, 403, 404, 4xx) — so a dashboard on another origin can read the answers, and can tell
 * "needs a token" (401 + WWW-Authenticate, readable) from "server down" (a network error).
 *
 * No credentials: the API reads no cookies (tokens travel as `Authorization: Bearer` or `?token=`),
 * so `Access-Control-Allow-Credentials` is never sent, and `*` is a valid answer. With a list of
 * origins (`--cors-origins`), only those get the headers; the others' browsers refuse to read.
 */
import { type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders, ServerResponse } from "node:http";

/** Origins allowed to read the API: ["*"] for any, else exact `scheme://host[:port]` strings. */
export type CorsOrigins = readonly string[];

/** A requested header list worth echoing: header-name tokens, commas and spaces. */
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;
const METHODS = "GET, HEAD, POST, OPTIONS";
/** What a preflight allows when the request names no headers, and the least it always allows. */
const BASE_HEADERS = "Authorization, Content-Type, Accept";
/** Headers a cross-origin script may read besides the simple ones. */
const EXPOSED = "WWW-Authenticate, Retry-After";
/** Browsers cap this (Chromium at 2 h); 10 min keeps a narrowed list effective soon after a change. */
const MAX_AGE_S = "600";

/**
 * May a WebSocket upgrade from this Origin proceed? Browsers apply no CORS to WebSockets, so with a
 * list of origins the server checks itself (a page elsewhere could otherwise read over graphql-ws
 * what it may not fetch). Requests without an Origin are not from a browser page: allowed.
 */
export function upgradeAllowed(origins: CorsOrigins, origin: string | undefined): boolean {
  return origins[0] === "*" || origin === undefined || origins.includes(origin);
}

/**
 * Sets the CORS headers of the response to `req`; answers a preflight (204) itself and returns
 * true then, so the route never sees it.
 */
export function applyCors(origins: CorsOrigins, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  const any = origins[0] === "*";
  const allowed = any ? "*" : origin !== undefined && origins.includes(origin) ? origin : undefined;
  const headers = any ? ANY_ORIGIN : allowed === undefined ? VARY_ONLY : listed(allowed);
  const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
  if (res instanceof CorsResponse && !preflight) {
    res.cors = headers;
    return false;
  }
  for (const name in headers) res.setHeader(name, headers[name] as string);
  if (!preflight) return false;
  if (allowed !== undefined) {
    const requested = req.headers["access-control-request-headers"];
    res.setHeader("Access-Control-Allow-Methods", METHODS);
    res.setHeader(
      "Access-Control-Allow-Headers",
      requested && HEADER_LIST.test(requested) ? `${BASE_HEADERS}, ${requested}` : BASE_HEADERS,
    );
    res.setHeader("Access-Control-Max-Age", MAX_AGE_S);
  }
  // Without the allow headers (an origin not on the list) the browser refuses the real request.
  res.writeHead(204, { "Content-Length": 0 });
  res.end();
  return true;
}

const ANY_ORIGIN: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Expose-Headers": EXPOSED,
};
/** An origin not on the list: no allow headers, but caches must still key the answer by Origin. */
const VARY_ONLY: Readonly<Record<string, string>> = { Vary: "Origin" };
/** The headers of each listed origin, made once (the list is the operator's, and short). */
const byOrigin = new Map<string, Readonly<Record<string, string>>>();
function listed(origin: string): Readonly<Record<string, string>> {
  let headers = byOrigin.get(origin);
  if (headers === undefined) {
    headers = { Vary: "Origin", "Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSED };
    byOrigin.set(origin, headers);
  }
  return headers;
}

/**
 * The server's responses (createServer's `ServerResponse`): the CORS headers applyCors chose go
 * into the head in the same writeHead as the route's own headers, whichever way the head is
 * written (writeHead with an object or an array, with a status message, or implicitly by write()
 * or end()). Set with setHeader instead, they would send every later writeHead down node:http's
 * slow path, each header set and validated again one by one (2.8 µs per head of 8 headers that
 * way, 1.4 µs in one writeHead, measured on node:http alone).
 */
export class CorsResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** This response's CORS headers, until its head is written. */
  cors: Readonly<Record<string, string>> | undefined = undefined;

  override writeHead(
    statusCode: number,
    statusMessage?: string,
    headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this;
  override writeHead(statusCode: number, headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this;
  override writeHead(
    statusCode: number,
    messageOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
    maybeHeaders?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this {
    const cors = this.cors;
    const message = typeof messageOrHeaders === "string" ? messageOrHeaders : undefined;
    let headers = typeof messageOrHeaders === "string" ? maybeHeaders : messageOrHeaders;
    if (cors !== undefined) {
      this.cors = undefined;
      headers = withCors(cors, headers);
    }
    return message === undefined ? super.writeHead(statusCode, headers) : super.writeHead(statusCode, message, headers);
  }
}

/**
 * The route's headers with the CORS headers first (the route's own win where both spell one the
 * same way). Copied key by key: object spread made V8 build a slow object here (8 µs per head).
 */
function withCors(
  cors: Readonly<Record<string, string>>,
  headers: OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined,
): OutgoingHttpHeaders | OutgoingHttpHeader[] {
  if (headers === undefined) return cors;
  if (!Array.isArray(headers)) {
    const merged: OutgoingHttpHeaders = {};
    for (const name in cors) merged[name] = cors[name];
    for (const name in headers) merged[name] = headers[name];
    return merged;
  }
  // node:http takes [[name, value], ...] or [name, value, name, value, ...].
  const pairs = Object.entries(cors);
  if (headers.length > 0 && Array.isArray(headers[0])) return [...pairs, ...headers] as OutgoingHttpHeader[];
  return [...pairs.flat(), ...headers];
}
