/**
 * The executed path for the requests dashboards send most: one query, by POST (JSON) or GET,
 * asking for a plain JSON answer. It runs through Yoga's `getEnveloped` — the same parse and
 * validation caches, limits, context and error masking that Yoga's HTTP handler and graphql-ws
 * (ws.ts) use — but skips the Fetch API round trip around it (a WHATWG Request built from the
 * Node request, the body stream re-read and re-limited, a Response built and copied back), which
 * the profile showed costing more than parsing, validating and executing together.
 *
 * Only what it can answer as Yoga would is answered here: a query document that Yoga itself
 * has already parsed, validated and answered without errors (the caller keeps that list, see
 * query-cache.ts), for a client that accepts `application/json`. Everything else — new
 * documents, batches, `extensions`, other media types, mutations and subscriptions — returns
 * `undefined` before anything has run, and goes to Yoga. A result with errors (a bad argument,
 * say) is serialised by Yoga's own result processor, so its status and body are Yoga's too.
 *
 * What it skips of Yoga is its HTTP layer: a plugin hooking `onRequest`, `onRequestParse` or
 * `onParams` does not see these requests (none of ours does; CSRF and the body limit are
 * checked by the query cache before this).
 */
import { type DocumentNode, type ExecutionResult, getOperationAST } from "graphql";
import { processRegularResult } from "graphql-yoga";
import type { ServerContext } from "../context.js";
import type { StatsYoga } from "../yoga.js";

export interface QueryParams {
  query: string;
  variables: Record<string, unknown> | null;
  operationName: string | null;
}

export interface DirectAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const JSON_TYPE = "application/json; charset=utf-8";

/** Per Yoga instance (each has its own rules): documents from its parse cache that passed validation. */
const validatedBy = new WeakMap<StatsYoga, WeakSet<DocumentNode>>();

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

/**
 * True when Yoga would answer this Accept header with `application/json`, by its own rule: every
 * listed media type is `application/json`, `application/*` or `*∕*` (charset utf-8, Yoga's only
 * one), or there is no header. `application/graphql-response+json` is Yoga's to answer.
 */
export function acceptsPlainJson(accept: string | undefined): boolean {
  if (accept === undefined || accept === "") return true;
  // Clients send the same few headers over and over: decided once each.
  let known = acceptDecided.get(accept);
  if (known === undefined) {
    if (acceptDecided.size >= 64) acceptDecided.clear();
    known = decideAccept(accept);
    acceptDecided.set(accept, known);
  }
  return known;
}

const acceptDecided = new Map<string, boolean>();

function decideAccept(accept: string): boolean {
  for (const entry of accept.replace(/\s/g, "").toLowerCase().split(",")) {
    const [type, ...params] = entry.split(";");
    const charset = params.find((p) => p.startsWith("charset="));
    if (charset !== undefined && charset !== "charset=utf-8") return false;
    if (type !== "application/json" && type !== "application/*" && type !== "*/*") return false;
  }
  return true;
}

/** Runs the query through Yoga's envelop, or resolves undefined (nothing ran) when Yoga must answer. */
export async function executeDirect(
  yoga: StatsYoga,
  params: QueryParams,
  context: ServerContext,
): Promise<DirectAnswer | undefined> {
  // The server context Yoga's handler would get (the door's principal included), plus params.
  // Built as a literal, not spread: envelop then assigns the context's other fields onto this
  // object, and a spread object followed by assignments fell onto V8's slow path (a measured
  // ~4 µs of the ~40 µs this function took per request).
  const { schema, parse, validate, contextFactory, execute } = yoga.getEnveloped({
    req: context.req,
    res: context.res,
    principal: context.principal,
    credentialed: context.credentialed,
    params,
  });
  let document: DocumentNode;
  try {
    document = parse(params.query);
  } catch {
    return undefined;
  }
  if (getOperationAST(document, params.operationName)?.operation !== "query") return undefined;
  // Validation depends only on the schema, the document and the rules, all fixed while the
  // parse cache hands back this same DocumentNode: validated once here, not on every request
  // (Yoga's validation cache would answer, but only after rebuilding its key from every rule).
  let validated = validatedBy.get(yoga);
  if (!validated) {
    validated = new WeakSet();
    validatedBy.set(yoga, validated);
  }
  if (!validated.has(document)) {
    if (validate(schema, document).length > 0) return undefined;
    validated.add(document);
  }
  const result = (await execute({
    schema,
    document,
    operationName: params.operationName,
    variableValues: params.variables,
    contextValue: await contextFactory(),
  })) as ExecutionResult & { stringify?: (result: ExecutionResult) => string };
  if (result.errors === undefined && result.extensions === undefined) {
    // A compiled query (use-jit-queries.ts) brings its own serialiser, as Yoga's processor uses.
    const json = result.stringify ? result.stringify(result) : JSON.stringify(result);
    return { status: 200, headers: { "Content-Type": JSON_TYPE }, body: Buffer.from(json) };
  }
  // Errors are rare and Yoga decides their status (and strips internal extensions): let its
  // result processor serialise them.
  const response = processRegularResult(result, yoga.fetchAPI, "application/json");
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== "content-length") headers[name] = value;
  });
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}
