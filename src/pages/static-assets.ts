/**
 * Static files served from memory, compressed once (brotli and gzip, compressed on the thread pool)
 * and negotiated per request. Hashed or versioned asset URLs are cached for a year (`immutable`);
 * pages are revalidated on every load with their ETag (a 304 costs a few bytes).
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

export interface Asset {
  type: string;
  body: Buffer;
  etag: string;
  br: Buffer;
  gzip: Buffer;
  /** true: the URL changes when the content does, so clients may keep it for a year. */
  immutable: boolean;
}

export const IMMUTABLE = "public, max-age=31536000, immutable";
export const REVALIDATE = "no-cache";

export function contentHash(body: string | Buffer): string {
  return createHash("sha256").update(body).digest("base64url").slice(0, 12);
}

export async function createAsset(type: string, content: string | Buffer, immutable: boolean): Promise<Asset> {
  const body = typeof content === "string" ? Buffer.from(content) : content;
  const [br, gzipped] = await Promise.all([
    // Quality 9, not 11: an 9 MB GraphiQL bundle compresses in well under a second, nearly as small.
    brotli(body, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
    }),
    gz(body, { level: 9 }),
  ]);
  return { type, body, etag: `"${contentHash(body)}"`, br, gzip: gzipped, immutable };
}

/** Answers GET/HEAD with the asset, compressed as the client accepts; 304 when its copy is current. */
export function sendAsset(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: "method not allowed" }));
    return;
  }
  const headers: Record<string, string | number> = {
    "Content-Type": asset.type,
    "Cache-Control": asset.immutable ? IMMUTABLE : REVALIDATE,
    ETag: asset.etag,
    Vary: "Accept-Encoding",
    "X-Content-Type-Options": "nosniff",
  };
  if (req.headers["if-none-match"] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const accepted = acceptedEncodings(req.headers["accept-encoding"]);
  let body = asset.body;
  if (accepted.has("br")) {
    body = asset.br;
    headers["Content-Encoding"] = "br";
  } else if (accepted.has("gzip")) {
    body = asset.gzip;
    headers["Content-Encoding"] = "gzip";
  }
  headers["Content-Length"] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === "HEAD" ? undefined : body);
}

function acceptedEncodings(header: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of (header ?? "").split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (name && (q === undefined || Number(q.slice(2)) > 0)) out.add(name);
  }
  return out;
}
