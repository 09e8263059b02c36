/**
 * Yoga's own routing rules for GraphQL over HTTP, applied to a node:http request before any
 * Fetch API object exists: which requests Yoga would answer with ONE result through its regular
 * result processor (`application/json` or `application/graphql-response+json`), and which media
 * type it would pick. The HTTP front (http-front.ts) answers exactly those itself, and hands
 * every other request to Yoga untouched. Each rule names the Yoga code it follows (graphql-yoga
 * 5: `server.js`, `plugins/request-parser/*`, `plugins/result-processor/accept.js`,
 * `plugins/use-result-processor.js`); test/integration/graphql-direct.test.ts holds the front
 * to Yoga's answers, request by request.
 */
import type { IncomingMessage } from "node:http";
import type { SingleResultType } from "./result-encoding.js";

/** A request Yoga answers with a single result: how it came, and the media type of the answer. */
export interface SingleResultRoute {
  method: "GET" | "POST";
  mediaType: SingleResultType;
}

export interface QueryParams {
  query: string;
  variables: Record<string, unknown> | null;
  operationName: string | null;
}

export interface HttpRouter {
  /**
   * The route of a request to `endpoint` that Yoga would parse as GraphQL parameters and, for a
   * single result, answer through its regular processor; undefined for anything else (another
   * path, method or content type, GraphiQL's page, an Accept list Yoga answers with a stream).
   */
  route(req: IncomingMessage): SingleResultRoute | undefined;
}

export function createHttpRouter(endpoint: string): HttpRouter {
  // Clients send the same few Accept headers over and over: each decided once.
  const decided = new Map<string, SingleResultType | null>();
  const mediaTypeFor = (accept: string): SingleResultType | undefined => {
    let known = decided.get(accept);
    if (known === undefined) {
      if (decided.size >= 64) decided.clear();
      known = singleResultType(accept) ?? null;
      decided.set(accept, known);
    }
    return known ?? undefined;
  };
  return {
    route(req) {
      const url = req.url ?? "";
      const q = url.indexOf("?");
      // Yoga's unhandled-route plugin also takes `/graphql/` and URL patterns: those are Yoga's to answer.
      if ((q < 0 ? url : url.slice(0, q)) !== endpoint) return undefined;
      const accept = req.headers.accept ?? "";
      const method = req.method;
      if (method === "GET") {
        // GraphiQL's page (Yoga's onRequest renders it for any GET that accepts text/html).
        if (accept.includes("text/html")) return undefined;
      } else if (method === "POST") {
        if (!isJsonContentType(req.headers["content-type"])) return undefined;
      } else return undefined;
      const mediaType = mediaTypeFor(accept);
      return mediaType && { method, mediaType };
    },
  };
}

/** Yoga's `isPOSTJsonRequest`: the first listed content type is JSON, exactly or with parameters. */
function isJsonContentType(header: string | undefined): boolean {
  const type = header?.split(",")[0];
  if (!type) return false;
  return (
    type === "application/json" ||
    type.startsWith("application/json;") ||
    type === "application/graphql+json" ||
    type.startsWith("application/graphql+json;")
  );
}

const REGULAR: readonly SingleResultType[] = ["application/graphql-response+json", "application/json"];

/**
 * The media type Yoga's result processors pick for a single (not streamed) result, or undefined
 * when the pick is not a regular one (SSE, multipart) or there is none (406). Yoga walks its
 * processors (SSE, multipart, regular) and, for each, the Accept list from last to first; the last
 * match wins, so a regular type matched anywhere wins over the streams, and among the regular
 * matches the one listed first. Quality factors are ignored, as Yoga ignores them; only utf-8.
 */
export function singleResultType(accept: string): SingleResultType | undefined {
  // getMediaTypesForRequestInOrder: no header is `*/*`; spaces dropped; lower case; utf-8 only; reversed.
  const types: string[] = [];
  for (const entry of (accept || "*/*").replace(/\s/g, "").toLowerCase().split(",")) {
    const [type, ...params] = entry.split(";");
    if (type === undefined) continue;
    const charset = params.find((p) => p.includes("charset=")) ?? "charset=utf-8";
    if (charset !== "charset=utf-8") continue;
    types.push(type);
  }
  types.reverse();
  let chosen: SingleResultType | undefined;
  for (const asked of types) {
    for (const offered of REGULAR) if (matches(offered, asked)) chosen = offered;
  }
  return chosen;
}

/** Yoga's isMatchingMediaType(processor's type, request's type): the request's side may be a wildcard. */
function matches(offered: string, asked: string): boolean {
  const [pre, suf] = offered.split("/");
  const [askedPre, askedSuf] = asked.split("/");
  return (askedPre === "*" || askedPre === pre) && (askedSuf === "*" || askedSuf === suf);
}

/** The params of a POST body, when it is one plain operation (no batch, no `extensions`). */
export function postParams(body: string): QueryParams | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const fields = parsed as Record<string, unknown>;
  for (const name in fields) {
    if (name !== "query" && name !== "variables" && name !== "operationName") return undefined;
  }
  return checked(fields["query"], fields["variables"], fields["operationName"]);
}

/** The params of a GET query string, when it is one plain operation. */
export function getParams(url: string): QueryParams | undefined {
  const q = url.indexOf("?");
  if (q < 0) return undefined;
  const search = new URLSearchParams(url.slice(q + 1));
  // Other parameters (`token`, say) are not Yoga's and it ignores them; `extensions` is its.
  if (search.has("extensions")) return undefined;
  let variables: unknown = null;
  const raw = search.get("variables");
  if (raw === "") return undefined;
  if (raw !== null) {
    try {
      variables = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  return checked(search.get("query"), variables, search.get("operationName"));
}

function checked(query: unknown, variables: unknown, operationName: unknown): QueryParams | undefined {
  if (typeof query !== "string" || query === "") return undefined;
  if (variables !== undefined && variables !== null && (typeof variables !== "object" || Array.isArray(variables)))
    return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string") return undefined;
  return {
    query,
    variables: (variables as Record<string, unknown> | null | undefined) ?? null,
    operationName: (operationName as string | null | undefined) || null,
  };
}
