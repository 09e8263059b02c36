/**
 * Defect 1 of issue 8: one flush big enough to blow the call stack stopped all writing for good.
 * Redis refuses writes (CLIENT PAUSE WRITE) while 70,000 orders with distinct statuses
 * and 1,000 pageviews arrive, so they all meet in one batch: one funnel hash of 70,000 fields per
 * period and account. Every one of them must be applied once Redis writes again, and the events
 * after it too. Then a batch the store rejects for itself (a counter key of the wrong type): it is
 * set aside after a few tries — loudly: metric, log, /readyz 503 with the reason — the events
 * behind it keep being counted, and once the key is fixed the set-aside batch applies, once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  logLines,
  metric,
  type ProcessRig,
  type ServerProcess,
  startProcessRig,
  trackTotal,
} from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import type { TestRedis } from "../helpers/redis.js";
import { order, pageview, type TestPublisher } from "../helpers/zmq.js";

const STATUSES = 70_000;
const PAGEVIEWS = 1_000;

describe("faults: a flush of any size applies; a rejected batch is set aside, loudly", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let server: ServerProcess;
  let prefix: string;

  let rig: ProcessRig;

  before(async () => {
    rig = await startProcessRig();
    ({ redis, pub, server, prefix } = rig);
  });
  after(async () => {
    await rig?.stop();
  });

  it(`applies ${STATUSES} distinct statuses of one funnel in one batch, and every event after them`, async (t) => {
    const m = (name: string) => metric(server.url, name);
    // Paused until everything has arrived (however slow this machine is), then unpaused.
    await redis.client.call("CLIENT", "PAUSE", "120000", "WRITE");
    const pausedAt = Date.now();
    for (let i = 0; i < STATUSES; i++) await pub.send(order("bulk", `s${i}`));
    for (let i = 0; i < PAGEVIEWS; i++) await pub.send(pageview("bulk"));
    await eventually(
      async () => (await m("stats_events_received_total")) === STATUSES + PAGEVIEWS,
      "every event received",
      30_000,
    );
    assert.equal(await m("stats_events_applied_total"), 0, "nothing applied while paused: one backlog");
    await redis.client.call("CLIENT", "UNPAUSE");
    const appliedAt = await eventually(
      async () => ((await m("stats_events_applied_total")) === STATUSES + PAGEVIEWS ? Date.now() : 0),
      "every event applied",
      60_000,
    );

    const year = new Date().getUTCFullYear();
    const funnel = await redis.client.hgetall(`${prefix}funnels:bulk:order:${year}`);
    const fields = Object.keys(funnel);
    const sum = Object.values(funnel).reduce((n, v) => n + Number(v), 0);
    const statuses = await redis.client.hlen(`${prefix}funnels:all:order:${year}`);
    const views = await trackTotal(redis.client, prefix, "bulk");
    t.diagnostic(
      `sent ${STATUSES} orders (distinct statuses) + ${PAGEVIEWS} pageviews in one paused window; ` +
        `counted ${sum} orders in ${fields.length} status fields (all: ${statuses}) and ${views} pageviews, ` +
        `${appliedAt - pausedAt} ms after the pause began`,
    );
    assert.equal(fields.length, STATUSES);
    assert.equal(sum, STATUSES, "each status counted once");
    assert.equal(statuses, STATUSES);
    assert.equal(views, PAGEVIEWS);
    assert.equal(await m("stats_pending_events"), 0);
    assert.doesNotMatch(server.stderr(), /Maximum call stack|set aside/);
  });

  it("sets aside a batch the store rejects, says so (metric, log, /readyz), keeps counting, and applies it once fixed", async (t) => {
    const m = (name: string) => metric(server.url, name);
    const year = new Date().getUTCFullYear();
    const poisoned = `${prefix}track:poison:pageview:${year}`;
    await redis.client.set(poisoned, "not a hash");
    const before = await m("stats_events_applied_total");
    const allBefore = await trackTotal(redis.client, prefix, "all");

    const startedAt = Date.now();
    for (let i = 0; i < 10; i++) await pub.send(pageview("poison"));
    await eventually(async () => (await m("stats_flush_set_aside_events")) === 10, "the batch set aside", 15_000);
    const res = await fetch(`${server.url}/readyz`);
    const readyz = (await res.json()) as { reasons?: Record<string, string> };
    assert.equal(res.status, 503);
    const detectMs = Date.now() - startedAt;
    assert.match(readyz.reasons?.["flush"] ?? "", /rejected.*WRONGTYPE/);
    assert.ok((await m('stats_flush_errors_total{kind="rejected",code="WRONGTYPE"}')) >= 3);
    const logged = logLines(server.stderr()).find((l) => String(l["msg"]).includes("set aside"));
    assert.ok(logged, "an error line names the batch set aside");
    // Nothing was half-applied: the script checks key types before writing.
    assert.equal(await trackTotal(redis.client, prefix, "all"), allBefore);

    // Events behind it are not stalled.
    for (let i = 0; i < 100; i++) await pub.send(pageview("healthy"));
    await eventually(async () => (await trackTotal(redis.client, prefix, "healthy")) === 100, "later events applied");

    // The key fixed: the set-aside batch applies at its next try (every 10 s), exactly once.
    await redis.client.del(poisoned);
    await eventually(
      async () => (await trackTotal(redis.client, prefix, "poison")) === 10,
      "set-aside batch applied",
      30_000,
    );
    await eventually(async () => (await fetch(`${server.url}/readyz`)).status === 200, "/readyz 200 again", 15_000);
    assert.equal(await m("stats_flush_set_aside_events"), 0);
    assert.equal(await m("stats_events_applied_total"), before + 110);
    assert.equal(await trackTotal(redis.client, prefix, "all"), allBefore + 110);
    t.diagnostic(
      `a rejected batch of 10: /readyz 503 and set aside within ${detectMs} ms; 100 later events counted meanwhile; applied once (10 of 10) after the fix`,
    );
  });
});
