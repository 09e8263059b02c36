/**
 * A deploy, as live clients see it: the service process gets SIGTERM and a new one starts on the
 * same port. The README's graphql-ws, graphql-sse and EventSource snippets (examples/clients/)
 * must come back by themselves, get the current state first, then the counts published after the
 * restart. On the wire: WebSockets close with 1001 and SSE streams end without `event: complete`.
 * graphql-ws with its default settings is run beside them, to show why the README sets shouldRetry.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { watchPageviews as watchWithEventSource } from "../../examples/clients/eventsource.js";
import { watchPageviews as watchWithSse } from "../../examples/clients/graphql-sse.js";
import { watchPageviews as watchWithWs } from "../../examples/clients/graphql-ws.js";
import { openRawWs } from "../faults/graphql-clients.js";
import { type ServerProcess, spawnServer } from "../helpers/ingest.js";
import { eventually, freePort } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { wiring } from "../helpers/service.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

const YEAR = new Date().getUTCFullYear();
const LIVE = `subscription ($year: Int!) { stats(account: "acme", event: "pageview", year: $year) { total } }`;

describe("live clients across a restart (SIGTERM, then a new process on the same port)", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let server: ServerProcess | undefined;
  let args: string[];
  let port: number;

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    port = await freePort();
    args = wiring(redis.url, pub.endpoint, redis.prefix());
    server = await spawnServer(args, { port });
    await pub.waitForSubscribers(1);
  });
  after(async () => {
    await server?.stop("SIGKILL");
    pub?.close();
    await redis?.stop();
  });

  it("graphql-ws (README settings), graphql-sse and EventSource resume, state first, then new counts", async (t) => {
    const http = `http://127.0.0.1:${port}/graphql`;
    const ws = `ws://127.0.0.1:${port}/graphql`;
    const seen: Record<"graphql-ws" | "graphql-sse" | "EventSource", number[]> = {
      "graphql-ws": [],
      "graphql-sse": [],
      EventSource: [],
    };
    const stops = [
      watchWithWs(ws, YEAR, (n) => seen["graphql-ws"].push(n)),
      watchWithSse(http, YEAR, (n) => seen["graphql-sse"].push(n)),
      watchWithEventSource(http, YEAR, (n) => seen.EventSource.push(n)),
    ];
    // graphql-ws exactly as created by default, for comparison.
    const plainTotals: number[] = [];
    let plainError: unknown;
    const plain = createClient({ url: ws, webSocketImpl: WebSocket });
    plain.subscribe<{ stats: { total: number } }>(
      { query: LIVE, variables: { year: YEAR } },
      {
        next: ({ data }) => data && plainTotals.push(data.stats.total),
        error: (err) => {
          plainError = err;
        },
        complete: () => {},
      },
    );
    // The wire itself: a raw graphql-transport-ws socket and a raw SSE response.
    const raw = await openRawWs(`http://127.0.0.1:${port}`);
    raw.send({ type: "connection_init" });
    await raw.next("connection_ack");
    raw.send({ type: "subscribe", id: "1", payload: { query: LIVE, variables: { year: YEAR } } });
    await raw.next("next", "1");
    const sseText = readSse(http, LIVE);

    try {
      const last = (xs: number[]) => xs[xs.length - 1];
      const all = () => [...Object.values(seen), plainTotals];
      await eventually(() => all().every((xs) => last(xs) === 0), "every client's first snapshot", 20_000);
      for (let i = 0; i < 3; i++) await pub.send(pageview("acme"));
      await eventually(() => all().every((xs) => last(xs) === 3), "3 pageviews on every client", 20_000);

      const stopped = await (server as ServerProcess).stop("SIGTERM");
      server = undefined;
      assert.equal(stopped.code, 0, "SIGTERM: clean exit");
      const closed = await raw.closed;
      assert.equal(closed.code, 1001, "WebSocket closed with 1001 Going Away");
      assert.ok(!raw.messages.some((m) => m.type === "complete"), "no complete message before the close");
      const sse = await sseText;
      assert.match(sse.text, /event: next/);
      assert.doesNotMatch(sse.text, /event: complete/, "the SSE stream ends without complete");
      assert.equal(sse.end, "ended", "the SSE response ends properly, not cut");

      // The port stays closed until graphql-ws's default settings have given up on it.
      const downAt = Date.now();
      await eventually(() => plainError !== undefined, "graphql-ws (defaults) to give up", 30_000);
      const plainGaveUpMs = Date.now() - downAt;
      const marks = Object.fromEntries(Object.entries(seen).map(([k, xs]) => [k, xs.length]));

      server = await spawnServer(args, { port });
      const upAt = Date.now();
      await pub.waitForSubscribers(2);
      const resumedMs: Record<string, number> = {};
      await eventually(
        () => {
          for (const [name, xs] of Object.entries(seen)) {
            if (xs.length > (marks[name] ?? 0) && resumedMs[name] === undefined) resumedMs[name] = Date.now() - upAt;
          }
          return Object.keys(resumedMs).length === 3;
        },
        "every README client to resubscribe",
        60_000,
      );
      // The current state first (what a new subscriber gets)...
      for (const [name, xs] of Object.entries(seen)) assert.equal(xs[marks[name] ?? 0], 3, `${name}: state first`);
      // ...then counts published after the restart.
      for (let i = 0; i < 2; i++) await pub.send(pageview("acme"));
      await eventually(
        () => Object.values(seen).every((xs) => last(xs) === 5),
        "5 pageviews on every README client",
        20_000,
      );
      assert.equal(last(plainTotals), 3, "graphql-ws with defaults stayed down");
      assert.match(String((plainError as { message?: unknown })?.message ?? plainError), /ECONNREFUSED|connect/i);
      t.diagnostic(
        `graphql-ws defaults gave up ${plainGaveUpMs} ms after SIGTERM (${String((plainError as Error).message)}); ` +
          `after the restart: ${Object.entries(resumedMs)
            .map(([k, ms]) => `${k} resumed in ${ms} ms`)
            .join(", ")}; totals ${JSON.stringify(seen)}`,
      );
    } finally {
      for (const stop of stops) stop();
      await plain.dispose();
      raw.socket.terminate();
    }
  });
});

/** The whole body of an SSE subscription response (POST), and whether it ended or was cut. */
async function readSse(url: string, query: string): Promise<{ text: string; end: "ended" | "cut" }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ query, variables: { year: YEAR } }),
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { text, end: "ended" };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // The connection was cut rather than ended: what arrived still tells.
    return { text, end: "cut" };
  }
}
