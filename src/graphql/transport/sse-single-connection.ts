/**
 * graphql-sse's "single connection mode" (`createClient({ singleConnection: true })`) reserves a
 * stream with a PUT, then sends every operation with an `x-graphql-event-stream-token` header.
 * This server speaks the protocol's default "distinct connections mode" (one SSE response per
 * subscription, as Yoga does) and refuses the other one plainly, instead of a confusing 403 or 405:
 * the reason phrase says it too, since graphql-sse's client shows only the status line.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export const SINGLE_CONNECTION_REFUSED =
  "graphql-sse single connection mode is not supported: use the default distinct connections mode, or graphql-ws";

/** Answers a single-connection-mode request (405 for the reservation, 400 for the rest) and returns true. */
export function refuseSseSingleConnection(req: IncomingMessage, res: ServerResponse): boolean {
  const reservation = req.method === "PUT";
  if (!reservation && req.headers["x-graphql-event-stream-token"] === undefined) return false;
  const body = JSON.stringify({
    errors: [{ message: SINGLE_CONNECTION_REFUSED, extensions: { code: "BAD_REQUEST" } }],
  });
  res.writeHead(reservation ? 405 : 400, SINGLE_CONNECTION_REFUSED, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    ...(reservation ? { Allow: "GET, POST, OPTIONS" } : {}),
  });
  res.end(body);
  return true;
}
