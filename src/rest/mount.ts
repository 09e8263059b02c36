/**
 * The legacy REST API (docs/contract.md §5) as an HTTP mount: the old service's routes and answers, with
 * its holes closed (validated names, numbers, dates and JSONP callbacks; 503 when Redis is down),
 * and API tokens when configured (401 without a valid one, 403 for another token's account).
 * HTTP in, one store round trip, one string out.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { authenticateRequest, FORBIDDEN_CHALLENGE } from "../auth/request.js";
import { canRead, type Principal, type TokenTable } from "../auth/tokens.js";
import type { CacheStats } from "../domain/sized-cache.js";
import type { StatsStore } from "../domain/types.js";
import { createAnswerCache } from "../http/answer-cache.js";
import type { Mount } from "../http/app.js";
import { type MemoryBudget, MemoryExhausted } from "../http/memory-budget.js";
import { createRateLimitedLog, type Logger } from "../log.js";
import { CALLBACK_ERROR, callbackParam, isValidCallback, jsonpWrap } from "./jsonp.js";
import { type RouteAnswer, readRoute } from "./read.js";
import { renderBody, renderError } from "./render.js";
import { isRouteError, parseRoute, type Route } from "./route.js";

/** Longer request targets are refused with 414 (browsers stop near 2 KB; no route needs more). */
export const MAX_URL_LENGTH = 4096;
const MAX_HOST_LENGTH = 255;
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::[0-9]{1,5})?$/;

// The old service's headers, kept exactly; nosniff is new (a JSON answer is never run as script).
const CACHE_CONTROL = "no-store, no-cache, must-revalidate, private, proxy-revalidate";
const EXPIRES = "Fri, 24 Nov 2000 01:00:00 GMT";
const JSON_TYPE = "application/json";
const JSONP_TYPE = "text/javascript";

const STORE_DOWN = renderError("the stats store is unavailable; retry later");
const INTERNAL = renderError("internal error");
const METHOD = renderError("method not allowed: use GET or HEAD");
const TOO_LONG = renderError(`request URL longer than ${MAX_URL_LENGTH} characters`);
const BAD_HOST = renderError("bad Host header");
const BAD_CALLBACK = renderError(CALLBACK_ERROR);

/**
 * `onFlushed` registers a listener for every flush announced on the live bus; given one, answers
 * are cached until the next flush (see answer-cache.ts). Without it, every request reads the store.
 */
export interface RestMountDeps {
  /** --path-prefix, e.g. /api/stats */
  pathPrefix: string;
  store: StatsStore;
  log: Logger;
  tokens: TokenTable;
  /** The process's memory budget: a read no cache answers is refused (503) at it. */
  memory?: MemoryBudget | undefined;
  /** Given what the answer cache holds, for /metrics. */
  observeCaches?: ((source: () => CacheStats[]) => void) | undefined;
}

export function createRestMount(deps: RestMountDeps, onFlushed?: (listener: () => void) => void): Mount {
  const { store, log, tokens } = deps;
  const prefix = deps.pathPrefix;
  const warn = createRateLimitedLog(log);
  const cache = onFlushed
    ? createAnswerCache<{ body: Buffer; type: string }>({
        maxAgeMs: 1_000,
        maxEntries: 5_000,
        maxBytes: 16 * 1024 * 1024,
        sizeOf: (a) => a.body.length,
        name: "rest-answers",
      })
    : undefined;
  if (cache) deps.observeCaches?.(() => [cache.stats()]);
  if (cache && onFlushed) onFlushed(() => cache.invalidate());

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? "/";
    if (url.length > MAX_URL_LENGTH) return send(res, 414, TOO_LONG);
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, METHOD, JSON_TYPE, { Allow: "GET, HEAD" });
    // Before the cache, so that no answer is ever given to a request that may not have it.
    const auth = authenticateRequest(tokens, req);
    if (!auth.ok) return send(res, 401, renderError(auth.reason), JSON_TYPE, { "WWW-Authenticate": auth.challenge });
    const { principal } = auth;
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const callback = q < 0 ? "" : callbackParam(url.slice(q + 1));
    if (callback !== "" && !isValidCallback(callback)) return send(res, 400, BAD_CALLBACK);
    const route = parseRoute(path.slice(prefix.length));
    if (isRouteError(route)) return send(res, route.status, renderError(route.message));
    if ("account" in route && !canRead(principal, route.account)) {
      return send(res, 403, renderError(`this API token may not read account ${route.account}`), JSON_TYPE, {
        "WWW-Authenticate": FORBIDDEN_CHALLENGE,
      });
    }
    const host = hostOf(req);
    if (host === undefined) return send(res, 400, BAD_HOST);

    // Every answer but a listing of accounts is the same for every token that may read it (checked
    // above); that listing differs per token, and is only cached for all-accounts tokens.
    const shared = route.level !== "accounts" || principal.allAccounts;
    const cacheKey = `${host}\n${url}`;
    // A cached answer is only given while the store is up: an outage is a 503 at once, never hidden.
    const hit = shared && store.connected() ? cache?.get(cacheKey) : undefined;
    if (hit) return sendOk(res, hit.body, hit.type);
    const generation = cache?.begin() ?? 0;
    try {
      deps.memory?.admit("rest_read", "a REST read");
    } catch (err) {
      if (!(err instanceof MemoryExhausted)) throw err;
      return send(res, 503, renderError(err.message), JSON_TYPE, { "Retry-After": "1" });
    }

    let answer: RouteAnswer;
    try {
      answer = await readRoute(store, route);
    } catch (err) {
      // Never answer an outage with empty data: a client would read it as zero traffic.
      warn("rest:store", { err: err instanceof Error ? err.message : String(err), url }, "REST read failed: 503");
      return send(res, 503, STORE_DOWN);
    }
    // Written as bytes (render.ts): its length is the Content-Length, and a cached copy lives
    // outside the JavaScript heap (thousands of answers kept until the next flush add nothing for
    // the GC to trace).
    const body = renderBody(
      route.echo,
      { base: `http://${host}${prefix}${answer.path}`, children: visible(principal, route.level, answer.children) },
      answer.data,
      callback === "" ? undefined : jsonpWrap(callback),
    );
    const type = callback === "" ? JSON_TYPE : JSONP_TYPE;
    if (shared) cache?.set(cacheKey, { body, type }, generation);
    sendOk(res, body, type);
  };

  return {
    prefix,
    handle: (req, res) =>
      handle(req, res).catch((err: unknown) => {
        log.error({ err, url: req.url }, "REST request failed");
        if (!res.headersSent) send(res, 500, INTERNAL);
        else res.destroy();
      }),
  };
}

/** A listing of accounts shows a restricted token its own accounts only (and never `all`). */
function visible(
  principal: Principal,
  level: Route["level"],
  children: RouteAnswer["children"],
): RouteAnswer["children"] {
  if (level !== "accounts" || principal.allAccounts) return children;
  return children.filter((account) => canRead(principal, String(account)));
}

/** A 200: the headers of send(), as one literal (no spread, no 503 check) on the path every answer takes. */
function sendOk(res: ServerResponse, body: Buffer, type: string): void {
  res.writeHead(200, {
    "Cache-Control": CACHE_CONTROL,
    "Content-Length": body.length,
    "Content-Type": type,
    Expires: EXPIRES,
    Pragma: "no-cache",
    "X-Content-Type-Options": "nosniff",
  });
  res.end(body);
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = JSON_TYPE,
  extra: OutgoingHttpHeaders = {},
): void {
  const headers: OutgoingHttpHeaders = {
    "Cache-Control": CACHE_CONTROL,
    "Content-Length": Buffer.byteLength(body),
    "Content-Type": type,
    Expires: EXPIRES,
    Pragma: "no-cache",
    "X-Content-Type-Options": "nosniff",
    ...extra,
  };
  if (status === 503) headers["Retry-After"] = "1";
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * Links are built on the request's Host, as the old service did; a Host that is not a host name
 * or address (with port) is refused rather than copied into every link. HTTP/1.0 may omit it.
 */
function hostOf(req: IncomingMessage): string | undefined {
  const host = req.headers.host;
  if (host === undefined || host === "") {
    const { localAddress, localPort } = req.socket;
    if (!localAddress) return "localhost";
    return localAddress.includes(":") ? `[${localAddress}]:${localPort}` : `${localAddress}:${localPort}`;
  }
  return host.length <= MAX_HOST_LENGTH && HOST.test(host) ? host : undefined;
}
