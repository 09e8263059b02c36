/**
 * The GraphQL front for HTTP: every request to /graphql, once the door (admission.ts) let it in.
 * It decides by Yoga's own routing rules (http-route.ts) whether Yoga would answer the request
 * with a single result (`application/json` or `application/graphql-response+json`, whatever
 * streaming types the Accept list also names); every other request — another path or method,
 * GraphiQL, subscriptions over SSE, batches, new documents — goes to Yoga's handler untouched.
 *
 * A single-result request takes the fast road:
 * 1. the answer cache (decision 1): an answer kept until the next flush, written from memory.
 *    The key is everything Yoga reads of the request — method, URL, Content-Type, Accept,
 *    Authorization, Origin and the body — so an answer only ever goes back to the same request
 *    with the same credentials (and the CORS headers computed for that origin). Only 200 answers
 *    without errors are kept, so a request over a limit never finds an entry; what the key does
 *    not hold is checked before the lookup: the body size and the CSRF header (Yoga answers those);
 * 2. a known document (known-query.ts, decision 4): executed compiled through Yoga's envelop;
 * 3. else Yoga's handler, whose answer is kept (1) and whose document, answered without errors,
 *    becomes known (2).
 *
 * `maxAgeMs` bounds what the flush announcements cannot see: writes by something other than this
 * service's flushers. An answer computed while a flush was announced is not kept (generation check).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createGraphQLError } from "graphql-yoga";
import type { CacheStats } from "../../domain/sized-cache.js";
import { createAnswerCache } from "../../http/answer-cache.js";
import type { ServerContext } from "../context.js";
import { passesCsrfCheck } from "../plugins/use-csrf-prevention.js";
import type { StatsYoga } from "../yoga.js";
import { createHttpRouter, getParams, postParams } from "./http-route.js";
import { createKnownQueries } from "./known-query.js";
import type { HttpAnswer, ResultEncoder } from "./result-encoding.js";

export interface HttpFrontOptions {
  /** Answers kept until the next flush; 0 where flushes are not heard (nothing may be kept). */
  maxEntries: number;
  /** What the kept answers (with their requests) may hold together. */
  maxBytes: number;
  maxAgeMs: number;
  /** Larger answers are served but not kept. */
  maxBodyBytes: number;
  /** Larger POST bodies are refused (413), as Yoga refuses them. */
  maxRequestBytes: number;
  /** Mirrors --csrf-prevention: a request Yoga would refuse is Yoga's to refuse. */
  csrfPrevention: boolean;
  /** Told how each single-result request was answered: from memory, executed known, or by Yoga's handler. */
  onAnswered?: (by: AnsweredBy) => void;
}

export type AnsweredBy = "cache" | "direct" | "yoga";

export interface GraphqlHttpFront {
  handle(req: IncomingMessage, res: ServerResponse, context: ServerContext): Promise<void>;
  /** A flush was applied: no kept answer is right any more. */
  invalidate(): void;
  readonly size: number;
  /** The kept answers and the known documents, for /metrics. */
  stats(): CacheStats[];
}

/** An answer as written and kept: its headers already carry its Content-Length (a hit copies nothing). */
interface Written {
  status: number;
  headers: Record<string, string | number>;
  body: Buffer;
}

export const DEFAULT_HTTP_FRONT: HttpFrontOptions = {
  maxAgeMs: 1_000,
  maxEntries: 2_000,
  maxBytes: 32 * 1024 * 1024,
  maxBodyBytes: 256 * 1024,
  maxRequestBytes: 1024 * 1024,
  csrfPrevention: false,
};

export function createGraphqlHttpFront(
  yoga: StatsYoga,
  results: ResultEncoder,
  opts: HttpFrontOptions = DEFAULT_HTTP_FRONT,
): GraphqlHttpFront {
  const entries = createAnswerCache<Written>({
    ...opts,
    name: "graphql-answers",
    // The body, and the headers (a dozen short strings).
    sizeOf: (e) => e.body.length + 512,
  });
  const router = createHttpRouter(yoga.graphqlEndpoint);
  const known = createKnownQueries(yoga, results);

  const keep = (key: string, e: Written, started: number) => {
    if (opts.maxEntries > 0 && e.status === 200 && e.body.length <= opts.maxBodyBytes && noErrors(e.body))
      entries.set(key, e, started);
  };
  const write = (res: ServerResponse, e: HttpAnswer, extra?: Record<string, string>): Written => {
    // Copied key by key: an object spread here made V8 build a slow object on every answer.
    const headers: Record<string, string | number> = {};
    for (const name in e.headers) headers[name] = e.headers[name] as string;
    for (const name in extra) headers[name] = extra[name] as string;
    headers["Content-Length"] = e.body.length;
    const written = { status: e.status, headers, body: e.body };
    send(res, written);
    return written;
  };
  const send = (res: ServerResponse, e: Written) => {
    res.writeHead(e.status, e.headers);
    res.end(e.body);
  };

  return {
    get size() {
      return entries.size;
    },
    invalidate: () => entries.invalidate(),
    stats: () => [entries.stats(), known.stats()],
    async handle(req, res, context) {
      const route = router.route(req);
      // Yoga's 403 (its onRequestParse), and everything that is not one result, are Yoga's.
      if (!route || (opts.csrfPrevention && !context.credentialed && !passesCsrfCheck((h) => req.headers[h]))) {
        await yoga.handle(req, res, context);
        return;
      }
      let body: string | undefined;
      if (route.method === "POST") {
        const declared = req.headers["content-length"];
        // A malformed or too large Content-Length: Yoga refuses it before reading anything.
        if (declared !== undefined && (!/^\d+$/.test(declared) || Number(declared) > opts.maxRequestBytes)) {
          await yoga.handle(req, res, context);
          return;
        }
        const bytes = await readBody(req, opts.maxRequestBytes);
        if (!bytes) {
          // A body without a length that grew past the limit: Yoga's error, in Yoga's words and
          // status; the rest of the body is not read, so the connection closes.
          const error = createGraphQLError("Request body too large", {
            extensions: { http: { status: 413 }, code: "REQUEST_ENTITY_TOO_LARGE" },
          });
          write(res, await results.http({ errors: [error] }, route.mediaType, yoga.fetchAPI), { Connection: "close" });
          return;
        }
        body = bytes.toString("utf8");
      }

      const h = req.headers;
      const key = `${route.method}\n${req.url}\n${h["content-type"] ?? ""}\n${h.accept ?? ""}\n${h.authorization ?? ""}\n${h.origin ?? ""}\n${body ?? ""}`;
      const hit = entries.get(key);
      if (hit) {
        send(res, hit);
        opts.onAnswered?.("cache");
        return;
      }

      const started = entries.begin();
      const params = body === undefined ? getParams(req.url ?? "") : postParams(body);
      const direct = params && known.has(params.query) && (await known.execute(params, context, route.mediaType));
      if (direct) {
        keep(key, write(res, direct), started);
        opts.onAnswered?.("direct");
        return;
      }
      // The body was read here: hand it to Yoga's Node adapter as already read (it takes a string).
      if (body !== undefined) (req as IncomingMessage & { body?: string }).body = body;
      const response = await yoga.handleNodeRequestAndResponse(req, res, context);
      opts.onAnswered?.("yoga");
      // A subscription asked for with this Accept list is streamed by the SSE plugin itself.
      if (res.headersSent) return;
      // Header names as Yoga spelled them; the length is ours to set.
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (name.toLowerCase() !== "content-length") headers[name] = value;
      });
      if (!(response.headers.get("content-type") ?? "").includes("json") || !response.body) {
        // Not a single result after all (a subscription, say): copied as it comes.
        await stream(response, headers, res);
        return;
      }
      const answer: HttpAnswer = { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
      keep(key, write(res, answer), started);
      if (params && answer.status === 200 && noErrors(answer.body)) known.remember(params.query);
    },
  };
}

/** Conservative: an answer that mentions "errors" anywhere (even as data) is simply not kept. */
function noErrors(body: Buffer): boolean {
  return body.indexOf('"errors"') < 0;
}

/** The body, or undefined as soon as it passes `limit` (reading stops there: the 413 closes the connection). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  // A small body comes in the packet of its headers, and node:http's parser pushes it (and the
  // end) right after the request's handler returns: one microtask later it is all buffered, and
  // one read() takes it — no listeners, no flowing mode, no chunk array.
  await undefined;
  if (req.complete && req.readableLength <= limit) return (req.read() as Buffer | null) ?? Buffer.alloc(0);
  return readStreamed(req, limit);
}

function readStreamed(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off("data", onData);
      req.pause();
      resolve(undefined);
    };
    req.on("data", onData);
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Copies a streaming response (an SSE stream, say) to the client until either side ends. */
async function stream(response: Response, headers: Record<string, string>, res: ServerResponse): Promise<void> {
  res.writeHead(response.status, headers);
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  res.on("close", () => void reader.cancel().catch(() => {}));
  for (;;) {
    const { value, done } = await reader.read();
    if (done || res.destroyed) break;
    if (!res.write(value)) {
      // A client that goes away never drains: wait for whichever comes first.
      await new Promise((resolve) => {
        res.once("drain", resolve);
        res.once("close", resolve);
      });
    }
  }
  res.end();
}
