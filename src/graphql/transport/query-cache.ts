/**
 * Query responses, kept until the next flush. Counts change only when a batch is applied, and
 * every applied batch is announced on the live bus, so a `stats` answer stays right until the
 * next announcement: the feed calls invalidate() on each one. A hit is written straight from
 * memory without entering GraphQL at all — the difference between a Yoga request (parse the
 * body stream, build a Request, run envelop, execute, serialise) and a bare server's write.
 *
 * What is cached: queries (GET with `?query=`, or POST application/json) whose answer is a 200
 * without errors. Subscriptions, GraphiQL and anything streaming go to Yoga untouched. The key
 * is the method, URL, body, Accept, Authorization and Origin headers, so an answer is only ever
 * given back to the same request from the same credentials (and with the CORS headers that
 * Yoga computed for that origin).
 *
 * No check is skipped on a hit: the limits on the operation itself (depth, aliases, tokens,
 * cost, batch size) depend only on the key, and an answer is kept only when it has no errors,
 * so a request over a limit never finds an entry; the checks on what is not in the key are made
 * here first — the body size (413, as Yoga answers) and the CSRF header (else Yoga answers 403).
 *
 * `maxAgeMs` bounds what the announcements cannot see: writes by something other than this
 * service's flushers (the 2013 service still running against the same Redis, a reindex).
 * An answer computed while a flush was announced is not kept (generation check).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type CacheStats, createSizedCache, stringBytes } from "../../domain/sized-cache.js";
import { createAnswerCache } from "../../http/answer-cache.js";
import type { ServerContext } from "../context.js";
import { passesCsrfCheck } from "../plugins/use-csrf-prevention.js";
import type { StatsYoga } from "../yoga.js";
import { acceptsPlainJson, executeDirect, getParams, postParams } from "./direct-query.js";

export interface QueryCacheOptions {
  maxAgeMs: number;
  /** Mirrors --csrf-prevention: a request Yoga would refuse is never answered from the cache. */
  csrfPrevention: boolean;
  maxEntries: number;
  /** What the kept answers (with their requests) may hold together. */
  maxBytes: number;
  /** Larger answers are served but not kept. */
  maxBodyBytes: number;
  /** Larger POST bodies are refused (413), as Yoga would refuse them. */
  maxRequestBytes: number;
  /** Told how each query it took was answered: from memory, executed directly, or by Yoga's handler. */
  onAnswered?: (by: AnsweredBy) => void;
}

export type AnsweredBy = "cache" | "direct" | "yoga";

interface Entry {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** An answer as written and kept: its headers already carry its Content-Length (a hit copies nothing). */
interface Written {
  status: number;
  headers: Record<string, string | number>;
  body: Buffer;
}

export interface QueryCache {
  /** Serves the request (from memory or through Yoga) and resolves true, or resolves false when it is not a cacheable query. */
  handle(req: IncomingMessage, res: ServerResponse, context: ServerContext): Promise<boolean>;
  invalidate(): void;
  readonly size: number;
  /** The kept answers and the known documents, for /metrics. */
  stats(): CacheStats[];
}

export const DEFAULT_QUERY_CACHE: QueryCacheOptions = {
  maxAgeMs: 1_000,
  maxEntries: 2_000,
  maxBytes: 32 * 1024 * 1024,
  maxBodyBytes: 256 * 1024,
  maxRequestBytes: 1024 * 1024,
  csrfPrevention: false,
};

/** What the documents the direct path knows may hold together (a document is at most --max-request-body). */
const KNOWN_DOCUMENT_BYTES = 4 * 1024 * 1024;

export function createQueryCache(yoga: StatsYoga, opts: QueryCacheOptions = DEFAULT_QUERY_CACHE): QueryCache {
  const entries = createAnswerCache<Written>({
    ...opts,
    name: "graphql-answers",
    // The body, and the headers (a dozen short strings).
    sizeOf: (e) => e.body.length + 512,
  });

  // Documents Yoga has parsed, validated and answered without errors: the direct path takes
  // only these, so every error a document can have (syntax, limits, validation) is Yoga's to
  // word — and Yoga's parse cache, shared with the direct path, only ever caches them from it.
  const known = createSizedCache<string, true>("known-documents", KNOWN_DOCUMENT_BYTES);
  const remember = (query: string) => void known.set(query, true, stringBytes(query));
  const keep = (key: string, e: Written, started: number) => {
    if (opts.maxEntries > 0 && e.status === 200 && e.body.length <= opts.maxBodyBytes && noErrors(e.body))
      entries.set(key, e, started);
  };
  const write = (res: ServerResponse, e: Entry): Written => {
    // Copied key by key: an object spread here made V8 build a slow object on every answer.
    const headers: Record<string, string | number> = {};
    for (const name in e.headers) headers[name] = e.headers[name] as string;
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
      const method = req.method ?? "GET";
      const accept = req.headers.accept ?? "";
      if (!wantsPlainResult(accept)) return false;
      // Yoga gives the 403.
      if (opts.csrfPrevention && !context.credentialed && !passesCsrfCheck((h) => req.headers[h])) return false;
      let body: string | undefined;
      if (method === "GET") {
        if (!(req.url ?? "").includes("query=")) return false;
      } else if (method === "POST") {
        if (!(req.headers["content-type"] ?? "").startsWith("application/json")) return false;
        const declared = req.headers["content-length"];
        // A malformed Content-Length is Yoga's to refuse.
        if (declared !== undefined && !/^\d+$/.test(declared)) return false;
        const bytes =
          declared !== undefined && Number(declared) > opts.maxRequestBytes
            ? undefined
            : await readBody(req, opts.maxRequestBytes);
        if (!bytes) {
          res.writeHead(413, { "Content-Type": "application/json", Connection: "close" });
          res.end(
            JSON.stringify({
              errors: [{ message: "Request body too large", extensions: { code: "REQUEST_ENTITY_TOO_LARGE" } }],
            }),
          );
          return true;
        }
        body = bytes.toString("utf8");
      } else {
        return false;
      }

      const key = `${method}\n${req.url}\n${accept}\n${req.headers.authorization ?? ""}\n${req.headers.origin ?? ""}\n${body ?? ""}`;
      const hit = entries.get(key);
      if (hit) {
        send(res, hit);
        opts.onAnswered?.("cache");
        return true;
      }

      const started = entries.begin();
      const params = !acceptsPlainJson(accept)
        ? undefined
        : body === undefined
          ? getParams(req.url ?? "")
          : postParams(body);
      const direct = params && known.has(params.query) && (await executeDirect(yoga, params, context));
      if (direct) {
        keep(key, write(res, direct), started);
        opts.onAnswered?.("direct");
        return true;
      }
      // The body was read here: hand it to Yoga's Node adapter as already read (it takes a string).
      if (body !== undefined) (req as IncomingMessage & { body?: string }).body = body;
      const response = await yoga.handleNodeRequestAndResponse(req, res, context);
      opts.onAnswered?.("yoga");
      // Header names as Yoga spelled them; the length is ours to set.
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (name.toLowerCase() !== "content-length") headers[name] = value;
      });
      if (!(response.headers.get("content-type") ?? "").includes("json") || !response.body) {
        // Not a plain result after all (e.g. a subscription asked for with Accept: */*).
        await stream(response, headers, res);
        return true;
      }
      const entry: Entry = {
        status: response.status,
        headers,
        body: Buffer.from(await response.arrayBuffer()),
      };
      keep(key, write(res, entry), started);
      if (params && entry.status === 200 && noErrors(entry.body)) remember(params.query);
      return true;
    },
  };
}

/** GraphiQL (text/html), SSE and multipart responses are Yoga's to produce. */
function wantsPlainResult(accept: string): boolean {
  return !accept.includes("text/html") && !accept.includes("text/event-stream") && !accept.includes("multipart/");
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
