/**
 * The connection to Redis is cut between a flush's request and its reply 1,000 times during a
 * stream (a TCP proxy forwards the script, lets Redis run it, and destroys both sockets when the
 * reply comes back). The client reconnects and resends the script it lost the reply to; Redis
 * runs the same chunk again and its guard key makes the rerun a no-op. Then a reply that is late
 * rather than lost: Redis frozen past the client's 10 s command timeout, so the command fails and
 * the flusher sends the batch again while Redis still holds the first copy; both run when Redis
 * thaws, the second as a no-op. Every increment is applied, and none twice.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { rankedTotals, trackTotal } from "../helpers/ingest.js";
import { type IngestSpine, startIngestSpine } from "../helpers/ingest-spine.js";
import { eventually, sleep } from "../helpers/ports.js";
import { type ChildPublisher, EXACT_HWM, type StreamResult, spawnChildPublisher } from "../helpers/publisher-child.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { RESP_EVAL, startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";

const CUTS = 1_000;
const ACCOUNTS = Array.from({ length: 40 }, (_, i) => `acct${i}`);

describe("faults: Redis replies lost or late", () => {
  let redis: TestRedis;
  let proxy: TcpProxy;
  let pub: ChildPublisher;
  let spine: IngestSpine;
  let prefix: string;
  const sent = new Map<string, number>();

  before(async () => {
    redis = await startRedis();
    proxy = await startTcpProxy({ port: redis.port });
    pub = await spawnChildPublisher(undefined, { sendHighWaterMark: EXACT_HWM });
    prefix = redis.prefix();
    spine = await startIngestSpine({
      redisUrl: `redis://127.0.0.1:${proxy.port}`,
      zmq: pub.endpoint,
      prefix,
      reconnectMs: 1,
      flags: ["--flush-interval", "5ms"],
    });
    await pub.subscribedAfter(0);
  });
  after(async () => {
    proxy.stopCutting();
    await pub.kill();
    await spine.stop();
    await proxy.close();
    await redis.stop();
  });

  const tally = (r: StreamResult) => {
    for (const [account, n] of Object.entries(r.byAccount)) sent.set(account, (sent.get(account) ?? 0) + n);
  };
  /** Streams until `done()`, then stops the publisher and records what it sent. */
  const streamUntil = async (done: () => Promise<boolean> | boolean, what: string, withinMs: number) => {
    const streaming = pub.stream({ accounts: ACCOUNTS, rate: 10_000 });
    const deadline = Date.now() + withinMs;
    try {
      while (!(await done())) {
        assert.ok(Date.now() < deadline, `timed out streaming until ${what}`);
        await sleep(20);
      }
    } finally {
      pub.stop();
      tally(await streaming);
    }
  };
  const total = () => [...sent.values()].reduce((a, b) => a + b, 0);
  const assertExact = async () => {
    const state = async () =>
      `received ${await spine.metric("stats_events_received_total")}, applied ${await spine.metric("stats_events_applied_total")}, pending ${await spine.metric("stats_pending_events")}, sent ${total()}`;
    await eventually(
      async () => (await spine.metric("stats_events_applied_total")) === total(),
      `all ${total()} events applied`,
      30_000,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message} (${await state()})`);
    });
    assert.equal(await spine.metric("stats_events_received_total"), total(), "every event sent was received");
    for (const [account, n] of sent) assert.equal(await trackTotal(redis.client, prefix, account), n, account);
    assert.equal(await trackTotal(redis.client, prefix, "all"), total(), "all");
    for (const [account, n] of sent) {
      assert.deepEqual(await rankedTotals(redis.client, prefix, account), [n, n, n, n, n], `${account} ranked`);
    }
    assert.equal(await spine.metric("stats_pending_events"), 0);
  };
  const scriptRuns = async () => {
    const stats = await redis.client.info("commandstats");
    const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    return calls("eval") + calls("evalsha");
  };
  const guards = async () => {
    let n = 0;
    let cursor = "0";
    do {
      const [next, found] = await redis.client.scan(cursor, "MATCH", `${prefix}applied:*`, "COUNT", 1000);
      cursor = next;
      n += found.length;
    } while (cursor !== "0");
    return n;
  };

  it(`applies every increment exactly once while ${CUTS} flush replies are cut after Redis ran them`, async (t) => {
    const started = performance.now();
    // Each cut is followed by the client's resend of the same script, which gets through.
    proxy.cutReplies(RESP_EVAL, CUTS, { letThrough: 1 });
    await streamUntil(() => proxy.cuts >= CUTS, `${CUTS} cuts`, 90_000);
    const cutMs = performance.now() - started;
    proxy.stopCutting();
    await assertExact();

    const runs = await scriptRuns();
    const applied = await guards();
    t.diagnostic(
      `${proxy.cuts} replies cut in ${Math.round(cutMs)} ms over ${proxy.accepted} connections; ` +
        `${runs} script runs for ${applied} chunks applied; ${total()} events counted exactly`,
    );
    // Redis ran a chunk again after at least every cut, and each rerun was a no-op.
    assert.ok(runs >= applied + CUTS, `script runs ${runs} vs ${applied} chunks applied`);
    assert.ok(proxy.accepted > CUTS, `${proxy.accepted} connections for ${proxy.cuts} cuts`);
  });

  it("applies a flush once when its reply comes after the 10 s command timeout (Redis frozen)", async (t) => {
    const pid = Number(/process_id:(\d+)/.exec(await redis.client.info("server"))?.[1]);
    assert.ok(pid > 0);
    const failures = await spine.metric("stats_flush_failures_total");
    const runsBefore = await scriptRuns();
    const guardsBefore = await guards();
    let frozenMs = 0;
    await streamUntil(
      async () => {
        if (frozenMs === 0 && (await spine.metric("stats_events_applied_total")) > total() + 1_000) {
          const at = performance.now();
          process.kill(pid, "SIGSTOP");
          try {
            // The flush in flight times out after 10 s; the flusher sends it again on the same connection.
            await eventually(
              async () => (await spine.metric("stats_flush_failures_total")) > failures,
              "the command timeout",
              15_000,
            );
            await sleep(300);
          } finally {
            process.kill(pid, "SIGCONT");
          }
          frozenMs = performance.now() - at;
        }
        return frozenMs > 0 && (await spine.metric("stats_pending_events")) < 2_000;
      },
      "a flush timed out and Redis back",
      40_000,
    );
    await assertExact();
    const reruns = (await scriptRuns()) - runsBefore - ((await guards()) - guardsBefore);
    t.diagnostic(
      `Redis frozen ${Math.round(frozenMs)} ms past the 10 s command timeout: the flusher resent the batch; ${reruns} chunk run(s) were no-ops, applied once`,
    );
    assert.ok(reruns >= 1, `Redis ran the timed-out chunk again (${reruns} reruns)`);
  });
});
