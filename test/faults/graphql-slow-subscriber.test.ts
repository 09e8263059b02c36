/**
 * Subscribers that stop reading, over graphql-ws and SSE, under a steady stream of flushes:
 * each is closed after a bounded buffer, this process's memory stays flat meanwhile, and
 * healthy subscribers keep getting every update within the flush interval + 50 ms.
 *
 * The slow clients are real sockets that stop reading (a paused TCP socket under a raw
 * graphql-transport-ws client, and under a raw SSE response). They watch a funnel with 400
 * long statuses (a ~58 KB message) that every flush changes, so MBs a second are owed to each: the
 * kernel's socket buffers (~4 MB on loopback) fill within seconds, then the server's turn comes.
 * Events carry their time (--time-source event) so every period is fixed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { ResultOf } from "@graphql-typed-document-node/core";
import type { Service } from "../../src/commands/serve.js";
import { LiveStatsDocument } from "../gql/graphql.js";
import { type Subscription, subscribeSse, subscribeWs } from "../helpers/graphql.js";
import { eventually, sleep } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { metricValue, startTestService } from "../helpers/service.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";
import { openRawSse, openRawWs, type RawWs } from "./graphql-clients.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const heapMiB = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const FLUSH_MS = 20;
/**
 * A healthy subscriber that waited on the stalled ones would wait until they are dropped (the 2 s
 * stall timeout, ~3.5 s in practice). Half the stall timeout shows it did not, on a loaded machine
 * too; how fast updates are is a benchmark's question (npm run bench:graphql), not this test's.
 */
const HELD_UP_MS = 1_000;
/** 400 statuses of 120 characters: a ~58 KB message that costs little to compute. */
const STATUSES = 400;
const DAY = "2020-01-01T12:00:00Z";
const status = (i: number) => `s${String(i % STATUSES).padStart(4, "0")}`.padEnd(120, "-");
const orderEvent = (i: number) =>
  `order ${JSON.stringify({ type: "order", time: DAY, data: { account: "load", status: status(i) } })}`;
const BIG_FUNNEL =
  'subscription { funnel(account: "load", event: "order", year: 2020, month: 1, day: 1) { total statuses { status count } } }';
const INCREMENTS = 'subscription { increments(account: "load") { account event status at count } }';
const PROBE = { account: "probe", event: "pageview", year: 2020, month: 1, day: 1, hour: 0 };

/** Sums a metric over the label sets whose text contains `labels` (e.g. `transport="ws"`). */
function metricSum(text: string, name: string, labels = ""): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) && line.includes(labels)) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** zeromq.js allows one send at a time per socket: the flood and the probes take turns. */
function serialized(pub: TestPublisher): (message: string) => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return (message) => {
    last = last.then(() => pub.send(message));
    return last;
  };
}

interface Harness {
  redis: TestRedis;
  pub: TestPublisher;
  service: Service;
  send: (message: string) => Promise<void>;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/** A service with these flags, and the big funnel in its Redis. */
async function startHarness(redis: TestRedis, flags: string[]): Promise<Harness> {
  const pub = await startPublisher();
  const service = await startTestService([
    ...["--redis", redis.url, "--zmq", pub.endpoint, "--key-prefix", redis.prefix()],
    ...["--time-source", "event", "--flush-interval", `${FLUSH_MS}ms`, ...flags],
  ]);
  await pub.waitForSubscribers();
  const send = serialized(pub);
  const metrics = async () => (await fetch(`${service.url}/metrics`)).text();
  for (let i = 0; i < STATUSES; i++) await send(orderEvent(i));
  await eventually(
    async () => metricValue(await metrics(), "stats_events_applied_total") === STATUSES,
    "the funnel's statuses stored",
  );
  return {
    redis,
    pub,
    service,
    send,
    metrics,
    async stop() {
      await service.stop();
      pub.close();
    },
  };
}

/** Every flush changes the big funnel: one order event per flush interval. */
function startLoad(send: (message: string) => Promise<void>): { stop(): Promise<number> } {
  let running = true;
  let sent = 0;
  const loop = (async () => {
    while (running) {
      await send(orderEvent(sent++));
      await sleep(FLUSH_MS);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return sent;
    },
  };
}

/** A graphql-ws client with `funnels` subscriptions to the big funnel (and the increments), which then stops reading. */
async function slowWs(url: string, funnels: number): Promise<RawWs> {
  const ws = await openRawWs(url);
  ws.send({ type: "connection_init" });
  await ws.next("connection_ack");
  ws.send({ id: "inc", type: "subscribe", payload: { query: INCREMENTS } });
  for (let i = 0; i < funnels; i++) ws.send({ id: `f${i}`, type: "subscribe", payload: { query: BIG_FUNNEL } });
  for (let i = 0; i < funnels; i++) await ws.next("next", `f${i}`);
  ws.stopReading();
  return ws;
}

describe("subscribers that stop reading", () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it("are closed (stalled), while memory stays flat and healthy subscribers keep their latency", async (t) => {
    const h = await startHarness(redis, ["--send-stall-timeout", "2s"]);
    const probes: Record<string, Subscription<ResultOf<typeof LiveStatsDocument>>> = {
      "graphql-ws": subscribeWs(h.service.url, LiveStatsDocument, PROBE),
      SSE: subscribeSse(h.service.url, LiveStatsDocument, PROBE),
    };
    try {
      for (const s of Object.values(probes)) assert.equal((await s.next()).data?.stats.total, 0);
      const heapBefore = heapMiB();

      const load = startLoad(h.send);
      const ws = await slowWs(h.service.url, 1);
      const sse = openRawSse(h.service.url, BIG_FUNNEL);
      await sse.response;
      await eventually(() => sse.received > 50_000, "the SSE snapshot arriving");
      sse.stopReading();
      const started = Date.now();

      // Probes: one event every 100 ms into the healthy subscribers' period; the latency is
      // from sending it to the Stats that counts it arriving.
      const latencies: Record<string, number[]> = { "graphql-ws": [], SSE: [] };
      const sentAt: number[] = [];
      let probingDone = false;
      const readers = Object.entries(probes).map(async ([name, s]) => {
        for (let n = 1; ; ) {
          const m = await s.next(250).catch(() => undefined);
          if (!m) {
            if (probingDone) return;
            continue;
          }
          assert.equal(m.data?.stats.total, n, `${name}: one update per probe, in order`);
          latencies[name]?.push(Date.now() - (sentAt[n - 1] ?? Number.NaN));
          n++;
        }
      });
      const samples = { heap: [] as number[], rss: [] as number[], sendBuffer: [] as number[] };
      const droppedAt: Record<string, number> = {};
      const probe = async () => {
        sentAt.push(Date.now());
        await h.send(pageview("probe", {}, "2020-01-01T00:00:00Z"));
        await sleep(100);
        const text = await h.metrics();
        samples.sendBuffer.push(metricValue(text, "stats_graphql_send_buffer_bytes"));
        const mem = process.memoryUsage();
        samples.heap.push(mem.heapUsed / 2 ** 20);
        samples.rss.push(mem.rss / 2 ** 20);
        for (const transport of ["ws", "sse"]) {
          if (metricSum(text, "stats_graphql_subscribers_dropped_total", `transport="${transport}"`) > 0)
            droppedAt[transport] ??= Date.now() - started;
        }
      };
      let sent = 0;
      try {
        while (Date.now() - started < 30_000 && Object.keys(droppedAt).length < 2) await probe();
        assert.ok(droppedAt["ws"] !== undefined, "the WebSocket client that stopped reading was closed");
        assert.ok(droppedAt["sse"] !== undefined, "the SSE client that stopped reading was closed");
        // A second more of flushes after both were closed: the healthy ones go on as before.
        for (let i = 0; i < 10; i++) await probe();
      } finally {
        sent = await load.stop();
      }
      const heapAfter = heapMiB();
      await eventually(
        () => Object.values(probes).every((s) => s.received.length === sentAt.length + 1),
        "every probe delivered to the healthy subscribers",
      );
      probingDone = true;
      await Promise.all(readers);

      const text = await h.metrics();
      assert.equal(metricValue(text, "stats_graphql_subscriptions"), 2, "only the healthy subscriptions remain");
      assert.equal(metricSum(text, "stats_graphql_subscribers_dropped_total", 'reason="stalled"'), 2);
      // The clients see it once they read again.
      ws.resumeReading();
      sse.resumeReading();
      const wsClosed = await ws.closed;
      await sse.ended;

      const all = Object.values(latencies)
        .flat()
        .sort((a, b) => a - b);
      const pct = (p: number) => all[Math.min(all.length - 1, Math.floor(all.length * p))] ?? 0;
      const maxSendBuffer = Math.max(...samples.sendBuffer);
      t.diagnostic(
        `stalled clients closed after ${droppedAt["ws"]} ms (ws, close ${wsClosed.code}) and ${droppedAt["sse"]} ms (SSE) ` +
          `with --send-stall-timeout 2s, ${sent} funnel updates of ~58 KB; server send buffers peaked at ` +
          `${(maxSendBuffer / 1024).toFixed(0)} KiB; heap after GC ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MiB ` +
          `(≤ ${Math.max(...samples.heap).toFixed(0)} MiB heap, ≤ ${Math.max(...samples.rss).toFixed(0)} MiB rss while loaded); ` +
          `healthy subscribers, ${all.length} updates: p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${all.at(-1)} ms ` +
          `(bound ${HELD_UP_MS} ms)`,
      );
      for (const [name, v] of Object.entries(latencies)) {
        assert.equal(v.length, sentAt.length, `${name}: every probe`);
        for (const ms of v) assert.ok(ms < HELD_UP_MS, `${name}: an update took ${ms} ms`);
      }
      assert.ok(maxSendBuffer <= 1024 * 1024, `send buffers stayed under --max-send-buffer (${maxSendBuffer} bytes)`);
      assert.ok(heapAfter - heapBefore < 16, `heap grew ${(heapAfter - heapBefore).toFixed(1)} MiB`);
    } finally {
      for (const s of Object.values(probes)) await s.close();
      await h.stop();
    }
  });

  it("a WebSocket over --max-send-buffer is closed at once, before any stall timeout", async (t) => {
    const limit = 256 * 1024;
    const h = await startHarness(redis, ["--max-send-buffer", String(limit), "--send-stall-timeout", "60s"]);
    try {
      const load = startLoad(h.send);
      // Eight ~58 KB funnels in flight on one stalled socket: over 256 KiB.
      const ws = await slowWs(h.service.url, 8);
      const started = Date.now();
      try {
        await eventually(
          async () =>
            metricSum(await h.metrics(), "stats_graphql_subscribers_dropped_total", 'reason="buffer_full"') === 1,
          "the connection closed for its buffer",
          20_000,
        );
      } finally {
        await load.stop();
      }
      const after = Date.now() - started;
      ws.resumeReading();
      const { code } = await ws.closed;
      const text = await h.metrics();
      assert.equal(metricSum(text, "stats_graphql_subscribers_dropped_total", 'reason="stalled"'), 0);
      assert.equal(metricValue(text, "stats_graphql_subscriptions"), 0);
      t.diagnostic(
        `--max-send-buffer ${limit}: stalled socket with 8 subscriptions closed after ${after} ms (close ${code})`,
      );
    } finally {
      await h.stop();
    }
  });
});
