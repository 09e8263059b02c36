/**
 * Who sent an HTTP request (or opened a WebSocket): decided once, at the door of each mount,
 * which hands the principal on to what runs later (GraphQL: in Yoga's server context).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { authenticate, type Principal, presentedToken, type TokenTable } from "./tokens.js";

/** What a request that was never authenticated may read: nothing. A forgotten check fails closed. */
export const NOBODY: Principal = { allAccounts: false, accounts: new Set() };

const REALM = 'Bearer realm="stats-server"';

export type RequestAuth =
  | { ok: true; principal: Principal }
  /** `challenge` is the WWW-Authenticate header of the 401 (RFC 6750). */
  | { ok: false; reason: string; challenge: string };

/** Authenticates a request by its `Authorization: Bearer` header, else its `?token=`. */
export function authenticateRequest(table: TokenTable, req: IncomingMessage): RequestAuth {
  // Tokens off: nothing to look for (a GET's query string holds a whole GraphQL document).
  if (!table.enabled) return authenticateToken(table, undefined);
  return authenticateToken(table, presentedToken(req.headers.authorization, req.url));
}

/** The same, for a token that came another way (a graphql-ws connection_init payload). */
export function authenticateToken(table: TokenTable, token: string | undefined): RequestAuth {
  const result = authenticate(table, token);
  if (result.ok) return result;
  return {
    ok: false,
    reason: result.reason,
    challenge: token === undefined ? REALM : `${REALM}, error="invalid_token"`,
  };
}

/** True when `Authorization: Bearer <expected>` was sent (compared in constant time). */
export function bearerMatches(authorization: string | undefined, expected: string): boolean {
  const presented = presentedToken(authorization ?? "", undefined) ?? "";
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return presented !== "" && timingSafeEqual(digest(presented), digest(expected));
}

/** The WWW-Authenticate of a 403: a valid token, but not for this account (RFC 6750 §3.1). */
export const FORBIDDEN_CHALLENGE = `${REALM}, error="insufficient_scope"`;

export const METRICS_CHALLENGE = 'Bearer realm="stats-server metrics"';
