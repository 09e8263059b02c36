/**
 * Optional API tokens (pure). Each token names the accounts it may read, or `*` for all. With no
 * tokens configured every request is allowed (local use, as before); with tokens, every data route
 * needs one and sees only its accounts. The rollup account `all` is readable only by `*` tokens.
 *
 * Format, one token per line (a file for --tokens-file, or STATS_TOKENS with `;` between entries):
 *   # comment
 *   <token> <account>[,<account>...]
 *   <token> *
 */
import { createHash } from "node:crypto";
import { NAME_PATTERN, ROLLUP_ACCOUNT } from "../domain/names.js";

export interface Principal {
  /** True for a `*` token, and when no tokens are configured. */
  readonly allAccounts: boolean;
  readonly accounts: ReadonlySet<string>;
}

export const ANONYMOUS: Principal = { allAccounts: true, accounts: new Set() };

export function canRead(p: Principal, account: string): boolean {
  return p.allAccounts || (account !== ROLLUP_ACCOUNT && p.accounts.has(account));
}

export interface TokenTable {
  /** False when no tokens are configured: everything is open. */
  readonly enabled: boolean;
  /** The principal of a presented token, or undefined when it is not one of ours. */
  lookup(token: string): Principal | undefined;
}

export class TokenFileError extends Error {}

const digest = (token: string) => createHash("sha256").update(token).digest("base64");

export function parseTokens(text: string): TokenTable {
  // Keyed by a digest, so a lookup's timing says nothing about how much of a token matched.
  const table = new Map<string, Principal>();
  const entries = text.split(/[\n;]/);
  for (const [i, raw] of entries.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [token, scope, ...rest] = line.split(/\s+/);
    if (token === undefined || scope === undefined || rest.length > 0) {
      throw new TokenFileError(`token entry ${i + 1}: expected "<token> <accounts|*>"`);
    }
    if (token.length < 8) throw new TokenFileError(`token entry ${i + 1}: a token needs at least 8 characters`);
    let principal: Principal;
    if (scope === "*") principal = { allAccounts: true, accounts: new Set() };
    else {
      const accounts = scope.split(",").filter((a) => a !== "");
      const bad = accounts.find((a) => !NAME_PATTERN.test(a));
      if (accounts.length === 0 || bad !== undefined) {
        throw new TokenFileError(`token entry ${i + 1}: "${bad ?? scope}" is not an account name`);
      }
      principal = { allAccounts: false, accounts: new Set(accounts) };
    }
    const key = digest(token);
    if (table.has(key)) throw new TokenFileError(`token entry ${i + 1}: the same token is listed twice`);
    table.set(key, principal);
  }
  return {
    enabled: table.size > 0,
    lookup: (token) => table.get(digest(token)),
  };
}

/** The token a request presents: `Authorization: Bearer <t>`, else `?token=<t>` (JSONP, SSE, WebSocket URLs). */
export function presentedToken(authorization: string | undefined, url: string | undefined): string | undefined {
  if (authorization) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return m ? m[1] : "";
  }
  const q = url?.indexOf("?") ?? -1;
  if (url === undefined || q < 0) return undefined;
  const token = new URLSearchParams(url.slice(q + 1)).get("token");
  return token ?? undefined;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: string };

/** Decides a request: anonymous when tokens are off; else the token's principal, or why not. */
export function authenticate(table: TokenTable, token: string | undefined): AuthResult {
  if (!table.enabled) return { ok: true, principal: ANONYMOUS };
  if (token === undefined) return { ok: false, reason: "an API token is required (Authorization: Bearer <token>)" };
  const principal = table.lookup(token);
  return principal ? { ok: true, principal } : { ok: false, reason: "invalid API token" };
}
