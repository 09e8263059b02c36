/**
 * Defect 2 of issue 8: the service's own process frozen (SIGSTOP, as a paused container or a frozen
 * VM) for 10 s while the publisher sends. Nothing the publisher holds may be lost: ZeroMQ's heartbeat
 * TTL that we announce in our PINGs is what the publisher uses to drop a silent subscriber — with its
 * queue — so it must outlast a freeze (`--heartbeat-ttl`, 60 s), while our own heartbeat timeout (3
 * intervals) still notices a publisher that stops answering. Both halves are shown: every event sent
 * during the freeze is counted, and a frozen publisher is still detected within a few seconds.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { metric, type ServerProcess, spawnServer, trackTotal } from "../helpers/ingest.js";
import { eventually, sleep } from "../helpers/ports.js";
import { type ChildPublisher, EXACT_HWM, spawnChildPublisher } from "../helpers/publisher-child.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { wiring } from "../helpers/service.js";

const RATE = 2_000;
const FREEZE_MS = 10_000;

describe("faults: the service process frozen while the publisher sends", () => {
  let redis: TestRedis;
  let pub: ChildPublisher;
  let server: ServerProcess;
  let prefix: string;

  before(async () => {
    redis = await startRedis();
    pub = await spawnChildPublisher(undefined, { sendHighWaterMark: EXACT_HWM });
    prefix = redis.prefix();
    const startedAt = Date.now();
    server = await spawnServer(wiring(redis.url, pub.endpoint, prefix));
    await pub.subscribedAfter(startedAt, 20_000);
    await eventually(async () => (await fetch(`${server.url}/readyz`)).status === 200, "service ready", 20_000);
  });
  after(async () => {
    server.proc.kill("SIGCONT");
    pub.signal("SIGCONT");
    await pub.kill();
    await server.stop("SIGKILL");
    await redis.stop();
  });

  const m = (name: string) => metric(server.url, name);

  it(`loses nothing the publisher sent during a ${FREEZE_MS / 1000} s SIGSTOP of the service`, async (t) => {
    const streaming = pub.stream({ accounts: ["frozen"], rate: RATE });
    await eventually(async () => (await m("stats_events_applied_total")) > 0, "the stream counted before the freeze");
    const disconnects = await m("stats_bus_disconnects_total");
    const before = pub.progress;
    server.proc.kill("SIGSTOP");
    await sleep(FREEZE_MS); // the fault itself: a freeze this long
    const duringFreeze = pub.progress - before;
    server.proc.kill("SIGCONT");
    // Keep streaming until an event sent after the thaw has arrived too.
    const atThaw = pub.progress;
    await eventually(
      async () => (await m("stats_events_received_total")) > atThaw,
      "an event sent after the thaw",
      30_000,
    );
    pub.stop();
    const { sent } = await streaming;
    const received = await eventually(
      async () => {
        const n = await m("stats_events_received_total");
        return n >= sent ? n : 0;
      },
      "every event received",
      30_000,
    ).catch(async () => m("stats_events_received_total"));
    await eventually(async () => (await m("stats_pending_events")) === 0, "nothing pending", 15_000);
    const counted = await trackTotal(redis.client, prefix, "frozen");
    t.diagnostic(
      `${sent} sent (${duringFreeze} during the ${FREEZE_MS} ms freeze), ${received} received, ${counted} counted; ` +
        `bus disconnects ${(await m("stats_bus_disconnects_total")) - disconnects}`,
    );
    assert.equal(received, sent, "every event sent reached the service");
    assert.equal(counted, sent, "and was counted once");
    assert.equal(await m("stats_bus_disconnects_total"), disconnects, "the connection survived the freeze");
  });

  it("still notices a frozen publisher by heartbeat (default --heartbeat 1s)", async (t) => {
    const disconnects = await m("stats_bus_disconnects_total");
    pub.signal("SIGSTOP");
    const frozenAt = Date.now();
    await eventually(
      async () => (await m("stats_bus_disconnects_total")) > disconnects,
      "a heartbeat timeout on the frozen publisher",
      15_000,
    );
    const detectMs = Date.now() - frozenAt;
    t.diagnostic(`frozen publisher detected ${detectMs} ms after its SIGSTOP (heartbeat 1 s, timeout 3 s)`);
    assert.ok(detectMs <= 6_000, `detected after ${detectMs} ms`);
    pub.signal("SIGCONT");
  });
});
