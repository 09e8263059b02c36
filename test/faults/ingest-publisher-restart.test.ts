/**
 * The publisher dies and comes back: the consumer reconnects within a second of the publisher's
 * return and counts every event sent after that. A frozen publisher (SIGSTOP: its TCP connection
 * stays open but nothing answers) is noticed by ZMTP heartbeats and the connection is remade.
 * The publisher is a separate OS process (test/helpers/publisher-process.ts) binding an XPUB, so
 * the test sees the exact moment the consumer's subscription arrives.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { metric, trackTotal } from "../helpers/ingest.js";
import { eventually, freePort, sleep } from "../helpers/ports.js";
import { type ChildPublisher, EXACT_HWM, spawnChildPublisher } from "../helpers/publisher-child.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService, wiring } from "../helpers/service.js";

const HEARTBEAT_MS = 500;

describe("faults: the publisher killed, restarted and frozen", () => {
  let redis: TestRedis;
  let service: Service;
  let prefix: string;
  let endpoint: string;
  const publishers: ChildPublisher[] = [];

  before(async () => {
    redis = await startRedis();
    prefix = redis.prefix();
    endpoint = `tcp://127.0.0.1:${await freePort()}`;
    publishers.push(await spawnChildPublisher(endpoint, { sendHighWaterMark: EXACT_HWM }));
    service = await startTestService([...wiring(redis.url, endpoint, prefix), "--heartbeat", `${HEARTBEAT_MS}ms`]);
  });
  after(async () => {
    for (const p of publishers) {
      p.signal("SIGCONT");
      await p.kill();
    }
    await service.stop();
    await redis.stop();
  });

  const counted = async (byAccount: Record<string, number>) => {
    for (const [account, n] of Object.entries(byAccount)) {
      await eventually(
        async () => (await trackTotal(redis.client, prefix, account)) === n,
        `${n} events counted for ${account}`,
      );
    }
  };
  const m = (name: string) => metric(service.url, name);

  it("reconnects within a second of a SIGKILLed publisher's return and counts every event sent after it", async (t) => {
    const first = publishers[0] as ChildPublisher;
    await first.subscribedAfter(0);
    const before = await first.stream({ accounts: ["before"], rate: 5_000, count: 2_000 });
    await counted(before.byAccount);

    // Killed mid-stream: what it sent in its last moments may or may not have arrived.
    const dying = first.stream({ accounts: ["dying"], rate: 2_000 });
    await eventually(async () => (await m("stats_events_received_total")) > before.sent, "the dying stream arriving");
    await first.kill();
    await dying;
    await eventually(async () => (await m("stats_bus_connections")) === 0, "the consumer sees the publisher gone");
    assert.equal(await m("stats_bus_disconnects_total"), 1);
    // Away long enough for the consumer's reconnect backoff (100 ms doubling) to reach its 1 s cap.
    await sleep(3_000);

    const second = await spawnChildPublisher(endpoint, { sendHighWaterMark: EXACT_HWM });
    publishers.push(second);
    const subscribedAt = await second.subscribedAfter(second.boundAt);
    const reconnectMs = subscribedAt - second.boundAt;
    t.diagnostic(`reconnect: subscription arrived ${reconnectMs} ms after the new publisher bound`);
    assert.ok(reconnectMs <= 1_200, `reconnected ${reconnectMs} ms after the publisher came back`);
    await eventually(async () => (await m("stats_bus_connections")) === 1, "stats_bus_connections back to 1");
    assert.equal((await fetch(`${service.url}/readyz`)).status, 200);

    const after = await second.stream({ accounts: ["after-a", "after-b", "after-c"], rate: 10_000, count: 6_000 });
    assert.equal(after.sent, 6_000);
    await counted(after.byAccount);
    t.diagnostic(`counted all ${after.sent} events sent after the reconnect`);
  });

  it("detects a frozen publisher by heartbeat, reconnects when it thaws, and counts again", async (t) => {
    const pub = publishers.at(-1) as ChildPublisher;
    const disconnects = await m("stats_bus_disconnects_total");

    pub.signal("SIGSTOP");
    const frozenAt = Date.now();
    await eventually(
      async () => (await m("stats_bus_disconnects_total")) > disconnects,
      "a heartbeat timeout on the frozen publisher",
      10_000,
    );
    const detectMs = Date.now() - frozenAt;
    t.diagnostic(`half-open connection detected ${detectMs} ms after SIGSTOP (heartbeat ${HEARTBEAT_MS} ms)`);
    // A PING goes out at most one interval after the last traffic; no PONG within 3 intervals fails it.
    assert.ok(detectMs <= 4 * HEARTBEAT_MS + 500, `detected after ${detectMs} ms`);

    // Still frozen: the consumer's reconnect reaches the frozen process's kernel (TCP connects) but
    // no handshake completes, so the bus must not count as connected, nor the service as ready.
    await sleep(4 * HEARTBEAT_MS);
    assert.equal(await m("stats_bus_connections"), 0, "no publisher while it is frozen");
    const readyz = await fetch(`${service.url}/readyz`);
    assert.equal(readyz.status, 503);
    assert.equal(((await readyz.json()) as { checks: Record<string, string> }).checks["event_bus"], "down");

    const thawedAt = Date.now();
    pub.signal("SIGCONT");
    const subscribedAt = await pub.subscribedAfter(thawedAt);
    t.diagnostic(`subscription back ${subscribedAt - thawedAt} ms after SIGCONT`);
    await eventually(async () => (await m("stats_bus_connections")) === 1, "stats_bus_connections back to 1");

    const thawed = await pub.stream({ accounts: ["thawed"], rate: 10_000, count: 3_000 });
    await counted(thawed.byAccount);
    assert.equal(await m('stats_events_dropped_total{reason="bad_json"}'), 0);
  });
});
