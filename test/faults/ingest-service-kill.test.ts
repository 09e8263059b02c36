/**
 * The service itself SIGKILLed mid-stream, then restarted on the same Redis and key prefix. What
 * Redis acknowledged stays; what is lost is at most what /metrics showed pending (received, not yet
 * accepted by Redis) just before the kill; and nothing is ever applied twice: a new process never
 * replays anything, so Redis never holds more than was sent.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ServerProcess, spawnServer, trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { type ChildPublisher, EXACT_HWM, spawnChildPublisher } from "../helpers/publisher-child.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { metricValue } from "../helpers/service.js";

const ACCOUNTS = ["acme", "beta", "gamma", "delta"];
const RATE = 5_000;

interface Scrape {
  received: number;
  applied: number;
  pending: number;
}

describe("faults: the service SIGKILLed mid-stream and restarted", () => {
  let redis: TestRedis;
  let pub: ChildPublisher;
  let prefix: string;
  const servers: ServerProcess[] = [];
  const sent = new Map<string, number>();

  before(async () => {
    redis = await startRedis();
    pub = await spawnChildPublisher(undefined, { sendHighWaterMark: EXACT_HWM });
    prefix = redis.prefix();
  });
  after(async () => {
    for (const s of servers) await s.stop("SIGKILL");
    await pub.kill();
    await redis.stop();
  });

  const redisTotal = () => trackTotal(redis.client, prefix, "all");
  const scrape = async (server: ServerProcess): Promise<Scrape> => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return {
      received: metricValue(text, "stats_events_received_total"),
      applied: metricValue(text, "stats_events_applied_total"),
      pending: metricValue(text, "stats_pending_events"),
    };
  };
  /** Starts a service process, waits for its subscription, streams `ms` worth of events at RATE, and pauses. */
  const runAndStream = async (flags: string[], ms: number) => {
    const startedAt = Date.now();
    const server = await spawnServer(["--redis", redis.url, "--zmq", pub.endpoint, "--key-prefix", prefix, ...flags]);
    servers.push(server);
    await pub.subscribedAfter(startedAt, 20_000);
    const result = await pub.stream({ accounts: ACCOUNTS, rate: RATE, count: (ms / 1000) * RATE });
    for (const [account, n] of Object.entries(result.byAccount)) sent.set(account, (sent.get(account) ?? 0) + n);
    return { server, sent: result.sent };
  };
  /** Scrapes until the paused stream has all arrived, then SIGKILLs at once. */
  const scrapeAndKill = async (server: ServerProcess, expected: number) => {
    let last = await scrape(server);
    const deadline = Date.now() + 10_000;
    while (last.received < expected && Date.now() < deadline) last = await scrape(server);
    server.proc.kill("SIGKILL");
    const exit = await server.exited;
    assert.equal(exit.signal, "SIGKILL");
    assert.equal(last.received, expected, "the paused stream had arrived before the kill");
    assert.equal(last.pending, last.received - last.applied, "pending = received − applied");
    // A script sent just before the kill may still run in Redis: measure once Redis has closed the
    // dead process's connections, which it does after running every command they had delivered.
    await eventually(
      async () => !String(await redis.client.client("LIST")).includes("name=stats-server:"),
      "Redis done with the killed process's connections",
    );
    return last;
  };

  let acknowledged = 0;
  let receivedByKilled = 0;
  const losses: Array<{ pending: number; lost: number }> = [];

  it("loses at most the pending increments of each killed process, with the default 100 ms flush interval", async (t) => {
    for (let round = 0; round < 3; round++) {
      const before = await redisTotal();
      const { server, sent: n } = await runAndStream([], 1_500);
      const atKill = await scrapeAndKill(server, n);
      const applied = (await redisTotal()) - before;
      const lost = atKill.received - applied;
      losses.push({ pending: atKill.pending, lost });
      acknowledged += atKill.applied;
      receivedByKilled += atKill.received;
      // What Redis acknowledged stays; what is lost was pending; nothing counted twice.
      assert.ok(applied >= atKill.applied, `round ${round}: ${applied} in Redis, ${atKill.applied} acknowledged`);
      assert.ok(lost >= 0 && lost <= atKill.pending, `round ${round}: lost ${lost}, pending ${atKill.pending}`);
    }
    t.diagnostic(
      `3 kills at ${RATE}/s: (pending at kill → lost) ${losses.map((l) => `${l.pending} → ${l.lost}`).join(", ")}; ` +
        `one flush interval of events is ${RATE / 10}`,
    );
  });

  it("loses exactly what was pending when nothing had been flushed (10 s flush interval)", async (t) => {
    const before = await redisTotal();
    const { server, sent: n } = await runAndStream(["--flush-interval", "10s"], 1_000);
    const atKill = await scrapeAndKill(server, n);
    receivedByKilled += atKill.received;
    assert.equal(atKill.applied, 0);
    assert.equal(atKill.pending, n, "everything received was still pending");
    assert.equal(await redisTotal(), before, "the killed process's pending increments are gone, and only those");
    t.diagnostic(`killed with ${atKill.pending} events pending in memory: lost exactly those ${n}`);
  });

  it("a restarted process counts what it receives, and Redis never holds more than was sent", async (t) => {
    const beforeRestart = await redisTotal();
    const { server, sent: n } = await runAndStream([], 1_500);
    await eventually(async () => (await scrape(server)).applied === n, `all ${n} events applied after the restart`);
    assert.equal((await server.stop("SIGTERM")).code, 0);

    const total = await redisTotal();
    const allSent = [...sent.values()].reduce((a, b) => a + b, 0);
    assert.equal(total - beforeRestart, n, "the restarted process applied each of its events once");
    assert.ok(total >= acknowledged + n, `${total} in Redis ≥ ${acknowledged} acknowledged before kills + ${n}`);
    assert.ok(total <= receivedByKilled + n, `${total} in Redis ≤ ${receivedByKilled + n} received`);
    for (const [account, s] of sent) {
      const counted = await trackTotal(redis.client, prefix, account);
      assert.ok(counted <= s, `${account}: ${counted} counted of ${s} sent`);
    }
    t.diagnostic(`${allSent} events sent to 5 processes (4 SIGKILLed): ${total} counted, ${allSent - total} lost`);
  });
});
