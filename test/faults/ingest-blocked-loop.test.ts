/**
 * The ingesting thread's event loop blocked for 3 s under a 50,000 events/s stream. With --role
 * ingest that is the process's main thread, which this test (the service runs in its process)
 * blocks; in the `all` role on Redis ingest has a thread of its own, which a block of the main
 * thread does not reach (api-thread-blocked.test.ts). ZeroMQ queues up to its
 * receive high-water mark (--zmq-hwm 20000 here) and the publisher drops past its own; nothing can
 * stop that. What must hold: the service recovers by itself (it used to abort in libzmq here now
 * and then: `_input_stopped`), every event that got in is counted exactly, the gap is visible
 * (events received < events sent, counted here with the publisher's sequence numbers), and a
 * fresh event is counted as fast as before.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { metric, trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { type ChildPublisher, spawnChildPublisher } from "../helpers/publisher-child.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService, wiring } from "../helpers/service.js";

const RATE = 50_000;
const SECONDS = 8;
const BLOCK_MS = 3_000;
const HWM = 20_000;
const ACCOUNTS = ["acme", "beta", "gamma", "delta", "eps"];

describe("faults: the event loop blocked under a 50k/s stream", () => {
  let redis: TestRedis;
  let pub: ChildPublisher;
  let service: Service;
  let prefix: string;

  before(async () => {
    redis = await startRedis();
    pub = await spawnChildPublisher();
    prefix = redis.prefix();
    service = await startTestService([
      ...wiring(redis.url, pub.endpoint, prefix),
      "--zmq-hwm",
      String(HWM),
      "--flush-interval",
      "100ms",
      "--role",
      "ingest",
    ]);
    await pub.subscribedAfter(0);
  });
  after(async () => {
    await pub.kill();
    await service.stop();
    await redis.stop();
  });

  /** Time from sending one event on a quiet bus to seeing it counted in Redis. */
  const freshEventMs = async (account: string) => {
    const sentAt = performance.now();
    await pub.stream({ accounts: [account], rate: 1_000, count: 1 });
    await eventually(async () => (await trackTotal(redis.client, prefix, account)) === 1, `${account} counted`, 5_000);
    return Math.round(performance.now() - sentAt);
  };
  const m = (name: string) => metric(service.url, name);

  it("recovers, counts exactly what got in, and shows the gap", async (t) => {
    const beforeMs = await freshEventMs("fresh-before");

    const streaming = pub.stream({ accounts: ACCOUNTS, rate: RATE, count: RATE * SECONDS });
    // Block once the stream is well under way: a second's worth received.
    await eventually(async () => (await m("stats_events_received_total")) > RATE, "a second of the stream received");
    const receivedBeforeBlock = await m("stats_events_received_total");
    const blockStart = performance.now();
    // Synchronous on purpose: nothing in this process runs until it ends, the service included.
    while (performance.now() - blockStart < BLOCK_MS) {
      // busy
    }
    const result = await streaming;
    assert.equal(result.sent, RATE * SECONDS);

    // Settled: a marker sent after the stream has arrived (a connection keeps its order: whatever
    // of the stream got in is in), and everything received is applied. While the publisher's queue
    // is still full a marker may be dropped like the rest, so each poll sends a new one (marker-0,
    // marker-1, ...) until one is counted; the ones sent after it then all arrive.
    const markerTotal = async (i: number) => trackTotal(redis.client, prefix, `marker-${i}`);
    let markers = 0;
    const through = await eventually(
      async () => {
        await pub.stream({ accounts: [`marker-${markers++}`], rate: 1_000, count: 1 });
        for (let i = markers - 1; i >= 0; i--) if ((await markerTotal(i)) > 0) return i + 1;
        return 0;
      },
      "a marker sent after the stream counted",
      30_000,
    );
    let markersIn = 0;
    await eventually(
      async () => {
        markersIn = 0;
        for (let i = 0; i < markers; i++) markersIn += await markerTotal(i);
        for (let i = through; i < markers; i++) if ((await markerTotal(i)) === 0) return false;
        return (await m("stats_events_applied_total")) === (await m("stats_events_received_total"));
      },
      "the markers after it counted, everything received applied",
      30_000,
    );
    const received = await m("stats_events_received_total");
    const valid = received - 1 - markersIn; // less the fresh-before event and the markers
    const gap = result.sent - valid;
    t.diagnostic(
      `sent ${result.sent} at ${RATE}/s, loop blocked ${BLOCK_MS} ms: received ${valid}, ` +
        `${gap} dropped by ZeroMQ at its high-water marks (${((100 * gap) / result.sent).toFixed(1)} %)`,
    );
    assert.ok(receivedBeforeBlock > 0, "events flowed before the block");
    assert.ok(gap > 0, "the 3 s block overflowed the queues");
    // How much is dropped depends on how much of the machine the service gets at 50,000 events/s
    // (on a loaded machine it falls behind before the block too): printed above, not asserted.
    // What must hold is that the queues delivered and the stream kept being counted afterwards.
    assert.ok(valid > receivedBeforeBlock, "events kept arriving during and after the block");

    // Everything that got in was counted, once.
    const counted = await Promise.all(ACCOUNTS.map((a) => trackTotal(redis.client, prefix, a)));
    assert.equal(
      counted.reduce((a, b) => a + b, 0),
      valid,
      "Redis holds exactly the events received",
    );
    assert.equal(await trackTotal(redis.client, prefix, "all"), received, "all");
    assert.equal(await m("stats_events_applied_total"), received, "nothing arrived after the markers");
    assert.equal(await m("stats_pending_events"), 0);
    assert.equal(await m('stats_events_dropped_total{reason="bad_json"}'), 0);

    // Recovered: ready, and a fresh event is counted about as fast as before.
    assert.equal((await fetch(`${service.url}/readyz`)).status, 200);
    const afterMs = await freshEventMs("fresh-after");
    t.diagnostic(`a fresh event counted in ${beforeMs} ms before the stream, ${afterMs} ms after it`);
    assert.ok(afterMs < 1_000, `fresh event counted in ${afterMs} ms`);
  });
});
