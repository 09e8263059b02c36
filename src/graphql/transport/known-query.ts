/**
 * The fast road of a known query: one query document that Yoga itself has already parsed,
 * validated and answered without errors (the HTTP front keeps that list), run through Yoga's
 * `getEnveloped` — the same parse and validation caches, limits, context and error masking that
 * Yoga's HTTP handler and graphql-ws (ws-protocol.ts) use — compiled by graphql-jit
 * (plugins/use-jit-queries.ts), without the Fetch API round trip around it (a WHATWG Request
 * built from the Node request, the body re-read, a Response built and copied back), which the
 * profile showed costing more than parsing, validating and executing together.
 *
 * Anything it cannot answer as Yoga would — a document it does not know, an operationName
 * that names nothing, a mutation or subscription — returns `undefined` before anything ran, and
 * goes to Yoga. Results are turned into bytes by result-encoding.ts: errors by Yoga's own result
 * processor, so their status and body are Yoga's.
 */
import { type DocumentNode, getOperationAST } from "graphql";
import { type CacheStats, createSizedCache, stringBytes } from "../../domain/sized-cache.js";
import type { ServerContext } from "../context.js";
import type { StatsYoga } from "../yoga.js";
import type { QueryParams } from "./http-route.js";
import type { HttpAnswer, ResultEncoder, SingleResultType } from "./result-encoding.js";

/** What the documents the fast road knows may hold together (a document is at most --max-request-body). */
const KNOWN_DOCUMENT_BYTES = 4 * 1024 * 1024;

export interface KnownQueries {
  /** True when Yoga answered this document without errors before. */
  has(query: string): boolean;
  /** Yoga answered this document without errors (status 200, no `errors`). */
  remember(query: string): void;
  /** What the known documents hold, for /metrics. */
  stats(): CacheStats;
  /** Runs a known query, or resolves undefined (nothing ran) when Yoga must answer. */
  execute(params: QueryParams, context: ServerContext, mediaType: SingleResultType): Promise<HttpAnswer | undefined>;
}

export function createKnownQueries(yoga: StatsYoga, results: ResultEncoder): KnownQueries {
  // Documents Yoga has parsed, validated and answered without errors: every error a document can
  // have (syntax, limits, validation) is Yoga's to word, and Yoga's parse cache, shared with this
  // road, only ever caches them from it.
  const known = createSizedCache<string, true>("known-documents", KNOWN_DOCUMENT_BYTES);
  // Documents from Yoga's parse cache that passed validation here. Validation depends only on the
  // schema, the document and the rules, all fixed while the parse cache hands back this same
  // DocumentNode: validated once, not on every request (Yoga's validation cache would answer, but
  // only after rebuilding its key from every rule).
  const validated = new WeakSet<DocumentNode>();
  return {
    has: (query) => known.get(query) === true,
    remember(query) {
      if (known.get(query) !== true) known.set(query, true, stringBytes(query));
    },
    stats: () => known.stats(),
    async execute(params, context, mediaType) {
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
      if (!validated.has(document)) {
        if (validate(schema, document).length > 0) return undefined;
        validated.add(document);
      }
      const result = await execute({
        schema,
        document,
        operationName: params.operationName,
        variableValues: params.variables,
        contextValue: await contextFactory(),
      });
      if (Symbol.asyncIterator in result) return undefined; // not for a query; Yoga would say so
      return results.http(result, mediaType, yoga.fetchAPI);
    },
  };
}
