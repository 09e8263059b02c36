/**
 * What a client is shown of a GraphQL result, for every transport: HTTP, SSE and graphql-ws.
 * One masking (Yoga's `maskError`, with this server's message and one log line per fault), one
 * rule for the fields a client may see (Yoga's internal `http` and `unexpected` extensions are
 * dropped, as Yoga's own result processor drops them), one stringifier (a compiled query's
 * own, else JSON.stringify). HTTP error answers get their status and headers from Yoga's
 * `processRegularResult`, so they are Yoga's by construction.
 *
 * Created once per mount, before Yoga: Yoga is given `maskedErrors` from here, and the
 * transports that write results themselves (the HTTP front's known queries, live SSE and
 * graphql-ws frames) are handed the same encoder.
 */
import { type ExecutionResult, GraphQLError, type GraphQLFormattedError } from "graphql";
import { processRegularResult, maskError as yogaMaskError } from "graphql-yoga";
import { FellBehind } from "../../live/channel.js";
import type { Logger } from "../../log.js";

/** Yoga's message for a masked error (its default, which we keep). */
export const MASKED_MESSAGE = "Unexpected error.";

/** The media types of a single result over HTTP, as Yoga's regular result processor names them. */
export type SingleResultType = "application/json" | "application/graphql-response+json";

/** An HTTP answer as written: status, headers (no Content-Length) and body. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

type Fetchable = Parameters<typeof processRegularResult>[1];

export interface ResultEncoder {
  /** Yoga's `maskedErrors` option: the same masking for what goes through envelop. */
  readonly maskedErrors: { errorMessage: string; maskError(error: unknown, message: string): Error };
  /** True for an error this encoder already logged (Yoga's logger is told of it again: one line). */
  logged(error: unknown): boolean;
  /** The result masked: a no-op on results that came through envelop's masking. */
  mask(result: ExecutionResult): ExecutionResult;
  /** The result as a client sees it (masked; without internal extensions), for a transport that stringifies it. */
  visible(result: ExecutionResult): object;
  /** The JSON of the result as a client sees it: `visible(result)`, stringified. */
  json(result: ExecutionResult): string;
  /** The HTTP answer to a single result, as Yoga's regular result processor gives it. */
  http(result: ExecutionResult, mediaType: SingleResultType, fetchAPI: Fetchable): HttpAnswer | Promise<HttpAnswer>;
}

export function createResultEncoder(log: Logger): ResultEncoder {
  // Originals already logged: Yoga logs each error its masking changed, and its error handler
  // once more; a fault is one line whichever way it came.
  const logged = new WeakSet<object>();
  const maskError = (error: unknown, message: string): Error => {
    // A subscriber too slow to follow is told so (it is not a fault of the server's).
    const cause = error instanceof GraphQLError ? error.originalError : error;
    if (cause instanceof FellBehind) {
      if (!logged.has(error as object)) {
        log.warn({ limit: cause.limit }, "an increments subscriber fell behind; its subscription ended");
        logged.add(error as object);
      }
      return new GraphQLError(cause.message, { extensions: { code: "SUBSCRIBER_TOO_SLOW" } });
    }
    // Never include internals, whatever NODE_ENV says; log what was hidden, with its path.
    const masked = yogaMaskError(error, message, false);
    if (masked !== error && typeof error === "object" && error !== null && !logged.has(error)) {
      logged.add(error);
      const original = error instanceof Error && "originalError" in error ? error.originalError : error;
      log.error({ err: original, path: (error as { path?: unknown }).path }, "GraphQL operation failed unexpectedly");
    }
    return masked;
  };
  const mask = (result: ExecutionResult): ExecutionResult =>
    result.errors?.length
      ? { ...result, errors: result.errors.map((e) => maskError(e, MASKED_MESSAGE) as GraphQLError) }
      : result;

  return {
    maskedErrors: { errorMessage: MASKED_MESSAGE, maskError },
    logged: (error) => typeof error === "object" && error !== null && logged.has(error),
    mask,
    visible: (result) => (!result.errors?.length && !result.extensions ? result : publicResult(mask(result))),
    json(result) {
      const stringify = (result as { stringify?: (r: unknown) => string }).stringify ?? JSON.stringify;
      if (!result.errors?.length && !result.extensions) return stringify(result);
      return stringify(publicResult(mask(result)));
    },
    http(result, mediaType, fetchAPI) {
      // A clean result (nearly all): no promise.
      if (!result.errors?.length && !result.extensions) {
        const stringify = (result as { stringify?: (r: unknown) => string }).stringify ?? JSON.stringify;
        return {
          status: 200,
          headers: { "Content-Type": `${mediaType}; charset=utf-8` },
          body: Buffer.from(stringify(result)),
        };
      }
      return withErrors(mask(result), mediaType, fetchAPI);
    },
  };
}

/** Errors are rare and Yoga decides their status: its own result processor answers. */
async function withErrors(result: ExecutionResult, mediaType: SingleResultType, fetchAPI: Fetchable) {
  const response = processRegularResult(result, fetchAPI, mediaType);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== "content-length") headers[name] = value;
  });
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}

/** A result as clients see it: errors as their JSON, without Yoga's internal extensions. */
function publicResult(result: ExecutionResult): Record<string, unknown> {
  // In the result's own key order (graphql-js puts errors first), as Yoga's processor keeps it.
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(result)) {
    if (key === "errors") {
      if (result.errors?.length) out[key] = result.errors.map(publicError);
    } else if (key === "extensions") {
      const { http: _http, ...others } = (value ?? {}) as Record<string, unknown>;
      if (Object.keys(others).length) out[key] = others;
    } else out[key] = value;
  }
  return out;
}

function publicError(error: GraphQLError | Error): GraphQLFormattedError {
  const json: GraphQLFormattedError = error instanceof GraphQLError ? error.toJSON() : { message: error.message };
  if (!json.extensions) return json;
  const { http: _http, unexpected: _unexpected, ...extensions } = json.extensions;
  const { extensions: _all, ...rest } = json;
  return Object.keys(extensions).length ? { ...rest, extensions } : rest;
}
