/**
 * A burst bigger than the receive high-water mark, with a short ZMTP heartbeat, into the real
 * executable. The publisher (its own process, send high-water mark above the burst, so it never
 * drops) queues 300,000 events while the service is stopped (SIGSTOP); on SIGCONT they arrive at
 * loopback speed while the service counts ~50,000 a second, so libzmq's receive queue (--zmq-hwm,
 * default 100,000) fills and libzmq stops reading the socket.
 *
 * libzmq 4.3.5 (bundled by zeromq 6.8.0) cannot see a heartbeat PONG while it is not reading, so it
 * timed the healthy connection out, reconnected, and then — when the process had read the queue
 * down — restarted input on the new connection's engine, which had never stopped:
 * `Assertion failed: _input_stopped (src/stream_engine_base.cpp:...)`, the process aborted, and
 * everything pending in the flusher was lost (zeromq/libzmq#3937, #4767, #4830).
 *
 * What must hold: the process survives the burst, keeps its connection, and counts every event
 * sent, exactly once. Twice: with the default --zmq-hwm, and with --zmq-hwm 10000, where the
 * service's read-ahead fills up and reading pauses (the backlog then waits at the publisher).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { logLines, metric, type ServerProcess, spawnServer, trackTotal } from "../helpers/ingest.js";
import { eventually, sleep } from "../helpers/ports.js";
import { type ChildPublisher, EXACT_HWM, spawnChildPublisher } from "../helpers/publisher-child.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { wiring } from "../helpers/service.js";

const BURST = 300_000;
const HEARTBEAT = "250ms";

function burstCase(hwmFlag: string[], expectPause: number | undefined) {
  const label = hwmFlag.length ? hwmFlag.join(" ") : "--zmq-hwm default";
  describe(`faults: a burst beyond the receive high-water mark, heartbeat ${HEARTBEAT}, ${label}`, () => {
    let redis: TestRedis | undefined;
    let pub: ChildPublisher | undefined;
    let server: ServerProcess | undefined;
    let prefix = "";

    before(async () => {
      redis = await startRedis();
      pub = await spawnChildPublisher(undefined, { sendHighWaterMark: EXACT_HWM });
      prefix = redis.prefix();
      const startedAt = Date.now();
      server = await spawnServer([...wiring(redis.url, pub.endpoint, prefix), "--heartbeat", HEARTBEAT, ...hwmFlag]);
      await pub.subscribedAfter(startedAt, 20_000);
      const s = server;
      await eventually(async () => (await fetch(`${s.url}/readyz`)).status === 200, "service ready", 20_000);
    });
    after(async () => {
      server?.proc.kill("SIGCONT");
      await pub?.kill();
      await server?.stop("SIGKILL");
      await redis?.stop();
    });

    it(`survives a ${BURST.toLocaleString("en")}-event burst and counts every event`, async (t) => {
      const s = server as ServerProcess;
      const p = pub as ChildPublisher;
      const r = redis as TestRedis;
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      void s.exited.then((e) => {
        exit = e;
      });
      const m = (name: string) => metric(s.url, name);
      const disconnects = await m("stats_bus_disconnects_total");
      const pausesBefore = await m("stats_bus_read_pauses_total");

      // The read-ahead queue's peak, sampled while the burst goes in.
      let peakQueued = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling && !exit) {
          peakQueued = Math.max(peakQueued, await m("stats_bus_queued_messages").catch(() => 0));
          await sleep(20);
        }
      })();

      // The burst: the publisher queues it while the service is stopped, and on SIGCONT it arrives
      // at the speed of the loopback, far faster than the service counts.
      s.proc.kill("SIGSTOP");
      const { sent } = await p.stream({ accounts: ["burst-a", "burst-b"], rate: 10_000_000, count: BURST });
      s.proc.kill("SIGCONT");
      assert.equal(sent, BURST);
      const burstStart = performance.now();

      // Settled: everything sent received and applied, or the process gone. If that never comes,
      // the hang guard ends the wait and the checks below say what is missing.
      await eventually(
        async () =>
          exit !== undefined ||
          ((await m("stats_events_received_total")) >= sent && (await m("stats_pending_events")) === 0),
        "the burst settled",
        120_000,
      ).catch(() => {});
      const burstMs = Math.round(performance.now() - burstStart);
      sampling = false;
      await sampler;
      // The connection still carries events after the burst: one more, counted, on the same
      // connection (the disconnect count below is read after it).
      if (!exit) {
        await p.stream({ accounts: ["after-burst"], rate: 1_000, count: 1 });
        await eventually(
          async () => (await trackTotal(r.client, prefix, "after-burst")) === 1,
          "an event after the burst",
        );
      }

      if (exit) {
        const aborts = s
          .stderr()
          .split("\n")
          .filter((l) => !l.startsWith("{") && l.trim() !== "");
        t.diagnostic(`the service exited during the burst: ${JSON.stringify(exit)}; ${aborts.join(" | ")}`);
      }
      assert.equal(exit, undefined, "the service process is still running");
      const received = await m("stats_events_received_total");
      const counted = (await trackTotal(r.client, prefix, "burst-a")) + (await trackTotal(r.client, prefix, "burst-b"));
      const lost = (await m("stats_bus_disconnects_total")) - disconnects;
      const pauses = (await m("stats_bus_read_pauses_total")) - pausesBefore;
      const reconnects = logLines(s.stderr()).filter((l) => l["msg"] === "event bus disconnected; reconnecting").length;
      t.diagnostic(
        `${sent} sent in one burst, settled in ${burstMs} ms (heartbeat ${HEARTBEAT}, ${label}): ${received} received, ${counted} counted; ` +
          `bus disconnects ${lost} (${reconnects} logged); read-ahead peak ${peakQueued} messages (sampled), reading paused ${pauses} times`,
      );
      assert.equal(lost, 0, "no heartbeat timeout on the busy but healthy connection");
      assert.equal(received, sent + 1, "every event sent reached the service (and the one after the burst)");
      assert.equal(counted, sent, "and was counted once");
      assert.equal(await m("stats_bus_queued_messages"), 0, "nothing left in the read-ahead");
      if (expectPause !== undefined) {
        assert.ok(peakQueued <= expectPause, `the read-ahead never holds more than --zmq-hwm (${peakQueued})`);
        assert.ok(pauses > 0, "the burst filled the read-ahead: reading paused");
      }
    });
  });
}

burstCase([], undefined);
burstCase(["--zmq-hwm", "500"], 500);
