/**
 * How a live subscription ends, over real graphql-ws and SSE clients: the results of a live
 * subscription are written straight from its channel to the socket (no iterator chain per
 * message), and its end still goes through graphql-ws / Yoga — a subscriber that falls too far
 * behind gets what fits, then the error; a client that stops is detached from the feed.
 *
 * In-process (the feed's increment backlog is not a flag): the memory bus and store, the real
 * GraphQL mount on a real HTTP server.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { type IncomingMessage, request } from "node:http";
import { after, before, describe, it } from "node:test";
import { print } from "graphql";
import { pino } from "pino";
import WebSocket from "ws";
import { loadTokenTable } from "../../src/auth/load.js";
import type { Delta } from "../../src/domain/types.js";
import { createGraphqlMount } from "../../src/graphql/mount.js";
import { type App, buildApp } from "../../src/http/app.js";
import { createMemoryBudget } from "../../src/http/memory-budget.js";
import { createLiveFeed, type LiveFeed } from "../../src/live/feed.js";
import { createLiveBus, type LiveBus } from "../../src/live/pubsub.js";
import { createMetrics } from "../../src/metrics.js";
import { createKeySpace } from "../../src/store/keys.js";
import { createMemoryBackend } from "../../src/store/memory-backend.js";
import { createStatsStore } from "../../src/store/stats-store.js";
import { IncrementsDocument, LiveStatsDocument } from "../gql/graphql.js";
import { track } from "../helpers/deltas.js";
import { subscribeSse, subscribeWs } from "../helpers/graphql.js";
import { eventually } from "../helpers/ports.js";
import { testConfig } from "../helpers/service.js";

const BACKLOG = 3;
const transports = { "graphql-ws": subscribeWs, SSE: subscribeSse } as const;

describe("live subscriptions: how they end (graphql-ws and SSE)", () => {
  let app: App;
  let url: string;
  let feed: LiveFeed;
  let bus: LiveBus;
  let close: () => Promise<void>;
  const store = createStatsStore(createMemoryBackend(), createKeySpace(""), { minuteRetentionSeconds: 3600 });
  let batches = 0;
  /** What the server logged at warn and above. */
  const logLines: Array<{ level: number; msg: string }> = [];

  /** Applies deltas to the store and announces them, as the flusher does. */
  const flush = async (deltas: Delta[]) => {
    const batch = { id: `b${batches++}`, deltas, events: deltas.length };
    await store.apply(batch);
    await bus.pubsub.publish("flushed", { id: batch.id, deltas });
  };
  const minuteOf = (account: string, minute: number) => track(account, 1, minute);

  before(async () => {
    const config = testConfig();
    const log = pino({ level: "warn" }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
    bus = createLiveBus({ pubsub: "memory", redis: "", redisCluster: [], keyPrefix: "" }, log);
    feed = createLiveFeed(bus, store, log, { incrementBacklog: BACKLOG });
    const mount = createGraphqlMount(
      {
        limits: config.graphql,
        store,
        metrics: createMetrics({ defaultMetrics: false }),
        log,
        tokens: await loadTokenTable(config),
        minuteRetentionSeconds: 3600,
        memory: createMemoryBudget({ limitBytes: config.maxMemoryBytes }),
      },
      feed,
    );
    app = buildApp({ store, metrics: createMetrics({ defaultMetrics: false }), log, mounts: [mount] });
    ({ url } = await app.start(0, "127.0.0.1"));
    close = async () => {
      await mount.close?.();
      await app.stop();
    };
  });
  after(() => close());

  /** The increments' minutes a subscription received, in order. */
  const minutes = (received: ReadonlyArray<{ data?: { increments: { at: unknown } } | null | undefined }>) =>
    received.filter((r) => r.data).map((r) => new Date(r.data?.increments.at as string).getUTCMinutes());

  // A subscriber is behind while its socket has not taken the message being written: ws reports
  // a frame taken once the write is done (after the tick), node:http's response as it writes.
  it("graphql-ws: a subscriber that falls more than the backlog behind in one flush gets what fits, then the error", async () => {
    const account = "behind-ws";
    const sub = subscribeWs(url, IncrementsDocument, { account });
    try {
      await eventually(async () => feed.subscribers === 1, "subscribed");
      // One flush of 6 increments: the first is being written while the next 3 wait, the 5th is one too many.
      await flush([1, 2, 3, 4, 5, 6].map((m) => minuteOf(account, m)));
      await sub.done;
      assert.deepEqual(minutes(sub.received), [1, 2, 3, 4], "the one being written, then the backlog, in order");
      const last = sub.received.at(-1);
      assert.equal(last?.data, undefined);
      // Told why, with a code to act on (not masked as an unexpected error).
      assert.deepEqual(
        last?.errors?.map((e) => [e.message, e.extensions?.["code"]]),
        [["subscriber fell more than 3 messages behind; subscription ended", "SUBSCRIBER_TOO_SLOW"]],
      );
      assert.equal(feed.subscribers, 0, "detached from the feed");
      assert.deepEqual(
        logLines.map((l) => [l.level, l.msg]),
        [[40, "an increments subscriber fell behind; its subscription ended"]],
        "a warning, not an error: the server is not at fault",
      );
    } finally {
      await sub.close();
    }
  });

  it("SSE: a subscriber whose connection takes each message as it is written is never behind", async () => {
    const account = "behind-sse";
    const sub = subscribeSse(url, IncrementsDocument, { account });
    try {
      await eventually(async () => feed.subscribers === 1, "subscribed");
      await flush([1, 2, 3, 4, 5, 6].map((m) => minuteOf(account, m)));
      await eventually(async () => sub.received.length === 6, "all six increments");
      assert.deepEqual(minutes(sub.received), [1, 2, 3, 4, 5, 6]);
      assert.equal(feed.subscribers, 1, "still subscribed");
    } finally {
      await sub.close();
    }
  });

  it("SSE: a subscriber that falls more than the backlog behind gets what fits, then the error as an event, then the end", async () => {
    const account = "behind-sse-slow";
    // A raw SSE response whose client stops reading, so the server's writes back up.
    const events: string[] = [];
    let ended = false;
    let response: IncomingMessage | undefined;
    const req = request(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
    });
    req.on("response", (res: IncomingMessage) => {
      response = res;
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        buffer += d;
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          events.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      });
      res.on("end", () => {
        ended = true;
      });
    });
    req.end(JSON.stringify({ query: print(IncrementsDocument), variables: { account } }));
    try {
      await eventually(
        async () => feed.subscribers === 1 && events.length > 0,
        "subscribed (the first keep-alive came)",
      );
      (response as IncomingMessage).pause();
      // Far more than the kernel's socket buffers hold: the writes back up, the backlog overflows.
      const many = Array.from({ length: 60_000 }, (_, i) => ({ ...minuteOf(account, i % 60), event: `e${i}` }));
      await flush(many);
      (response as IncomingMessage).resume();
      await eventually(async () => ended, "the stream ended", 60_000).catch((e: Error) => {
        throw new Error(`${e.message}: ${events.length} events, the last ${events.at(-1)?.slice(0, 200)}`);
      });
      const nexts = events.filter((e) => e.startsWith("event: next"));
      const last = JSON.parse((nexts.at(-1) as string).slice("event: next\ndata: ".length)) as {
        data?: unknown;
        errors?: Array<{ message: string; extensions?: { code?: string } }>;
      };
      assert.ok(
        nexts.length > 1 && nexts.length < many.length,
        `some increments came, then it fell behind (${nexts.length})`,
      );
      assert.deepEqual(
        last.errors?.map((e) => [e.message, e.extensions?.code]),
        [["subscriber fell more than 3 messages behind; subscription ended", "SUBSCRIBER_TOO_SLOW"]],
        "told why before the stream ends",
      );
      assert.equal(events.at(-1), "event: complete\ndata:", "then the subscription is over");
      await eventually(async () => feed.subscribers === 0, "detached from the feed");
    } finally {
      req.destroy();
    }
  });

  it("graphql-ws: next frames are text frames (a browser hands binary ones to graphql-ws as a Blob)", async () => {
    const account = "frames-ws";
    const socket = new WebSocket(`${url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
    const frames: Array<{ text: string; isBinary: boolean }> = [];
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      const text = String(data);
      frames.push({ text, isBinary });
      if (text.includes('"connection_ack"')) {
        const query = print(LiveStatsDocument);
        const variables = { account, event: "pageview", year: 2013 };
        socket.send(JSON.stringify({ id: "op-1", type: "subscribe", payload: { query, variables } }));
      }
    });
    await once(socket, "open");
    socket.send(JSON.stringify({ type: "connection_init" }));
    try {
      await eventually(async () => frames.length === 2, "the snapshot");
      await flush([minuteOf(account, 1)]);
      await eventually(async () => frames.length === 3, "the update");
      const nexts = frames.slice(1);
      assert.deepEqual(
        nexts.map((f) => f.isBinary),
        [false, false],
      );
      const parsed = nexts.map((f) => JSON.parse(f.text));
      assert.deepEqual(
        parsed.map((m) => [Object.keys(m), m.id, m.type]),
        [0, 1].map(() => [["id", "type", "payload"], "op-1", "next"]),
      );
      assert.deepEqual(
        nexts.map((f) => JSON.parse(f.text).payload.data.stats.total),
        [0, 1],
      );
    } finally {
      socket.close();
    }
  });

  for (const [name, subscribe] of Object.entries(transports)) {
    it(`${name}: a client that stops is detached, and one that stays keeps getting every flush`, async () => {
      const account = `stops-${name}`;
      const stays = subscribe(url, LiveStatsDocument, { account, event: "pageview", year: 2013 });
      const stops = subscribe(url, LiveStatsDocument, { account, event: "pageview", year: 2013 });
      try {
        assert.equal((await stays.next()).data?.stats.total, 0, "snapshot");
        assert.equal((await stops.next()).data?.stats.total, 0, "snapshot");
        await flush([minuteOf(account, 1)]);
        assert.equal((await stays.next()).data?.stats.total, 1);
        assert.equal((await stops.next()).data?.stats.total, 1);
        await stops.close();
        await eventually(async () => feed.subscribers === 1, "the stopped one detached");
        await flush([minuteOf(account, 2)]);
        assert.equal((await stays.next()).data?.stats.total, 2);
        assert.equal(stops.received.length, 2, "nothing after the client stopped");
      } finally {
        await stays.close();
        await stops.close();
      }
      await eventually(async () => feed.subscribers === 0, "both detached");
    });
  }
});
