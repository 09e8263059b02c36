/**
 * For the legacy REST tests: a plain node:http client for what fetch hides (any Host header,
 * any method, the request target sent as written), and the headers every answer must carry.
 */
import assert from "node:assert/strict";
import { type IncomingHttpHeaders, request } from "node:http";

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function httpRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        // Sent exactly as given: the test decides about percent-encoding.
        path: url.slice(url.indexOf("/", u.protocol.length + 2)),
        method: opts.method ?? "GET",
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const LEGACY_HEADERS = {
  "cache-control": "no-store, no-cache, must-revalidate, private, proxy-revalidate",
  expires: "Fri, 24 Nov 2000 01:00:00 GMT",
  pragma: "no-cache",
  "x-content-type-options": "nosniff",
};

/** The headers every legacy REST answer carries (docs/contract.md §5), with a Content-Length that fits the body. */
export function assertLegacyHeaders(a: HttpAnswer, contentType = "application/json"): void {
  for (const [name, value] of Object.entries(LEGACY_HEADERS)) assert.equal(a.headers[name], value, name);
  assert.equal(a.headers["content-type"], contentType);
  assert.equal(Number(a.headers["content-length"]), Buffer.byteLength(a.body));
}
