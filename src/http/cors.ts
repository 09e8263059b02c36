/**
 * CORS for every route the service answers — GraphQL, REST, health, metrics, and every error
 * (401, 403, 404, 4xx) — so a dashboard on another origin can read the answers, and can tell
 * "needs a token" (401 + WWW-Authenticate, readable) from "server down" (a network error).
 *
 * No credentials: the API reads no cookies (tokens travel as `Authorization: Bearer` or `?token=`),
 * so `Access-Control-Allow-Credentials` is never sent, and `*` is a valid answer. With a list of
 * origins (`--cors-origins`), only those get the headers; the others' browsers refuse to read.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

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
  if (!any) res.setHeader("Vary", "Origin");
  const allowed = any ? "*" : origin !== undefined && origins.includes(origin) ? origin : undefined;
  if (allowed !== undefined) {
    res.setHeader("Access-Control-Allow-Origin", allowed);
    res.setHeader("Access-Control-Expose-Headers", EXPOSED);
  }
  const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
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
