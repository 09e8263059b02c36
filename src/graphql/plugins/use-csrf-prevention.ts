/**
 * CSRF prevention, when `--csrf-prevention` turns it on (it is off by default: the API has no
 * mutations and reads no cookies, so a forged cross-site request can neither change anything nor
 * ride on someone's session). A GET or a "simple" POST (form or text body) must carry a header a
 * browser only sends after a CORS preflight, or an Authorization, or come with a valid API token
 * (also as `?token=`: see ServerContext.credentialed). Yoga's plugin does the same check; this
 * one's 403 says which headers pass, so a client author can fix the request.
 */
import { createGraphQLError, type Plugin } from "graphql-yoga";
import type { ServerContext } from "../context.js";

/**
 * Headers that make a browser preflight a cross-origin request (so their presence proves the
 * request passed CORS): Yoga's own, the one Apollo clients send, and Authorization.
 */
export const CSRF_HEADERS = ["x-graphql-yoga-csrf", "apollo-require-preflight", "authorization"] as const;

/** Content types a browser sends cross-origin without a preflight. */
const SIMPLE_CONTENT_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"];

export const CSRF_MESSAGE =
  `Required CSRF header(s) not present: send one of ${CSRF_HEADERS.join(", ")} ` +
  "(or a JSON body); the server runs with --csrf-prevention";

/** True when the request passes the check (`header(name)`: the value, or undefined when absent). */
export function passesCsrfCheck(header: (name: string) => unknown): boolean {
  const type = header("content-type");
  if (typeof type === "string" && type !== "" && !SIMPLE_CONTENT_TYPES.some((t) => type.toLowerCase().startsWith(t)))
    return true;
  return CSRF_HEADERS.some((h) => header(h) !== undefined);
}

export function useCsrfPrevention(): Plugin {
  return {
    onRequestParse({ request, serverContext }) {
      // Every HTTP request reaches Yoga through the mount's door, which sets this (ServerContext).
      if ((serverContext as Partial<ServerContext>).credentialed) return;
      if (passesCsrfCheck((h) => request.headers.get(h) ?? undefined)) return;
      throw createGraphQLError(CSRF_MESSAGE, { extensions: { http: { status: 403 }, code: "CSRF_HEADER_REQUIRED" } });
    },
  };
}
