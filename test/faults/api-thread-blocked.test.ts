/**
 * The API's thread blocked (issue 19, isolation): in the `all` role on Redis, ingest runs in a
 * worker thread of its own, so while the main thread — where GraphQL, REST and the live feed run —
 * does not get a single turn, events go on being read, flushed and counted. The live increments
 * the worker flushed meanwhile are not lost: once the main thread runs again, subscribers get
 * every one, in flush order.
 *
 * The service runs in this test's process, so blocking this thread blocks its API. Redis is read
 * during the block with redis-cli (a child process run synchronously): the counts must grow while
 * the main thread is blocked. When ingest shared that thread, they stayed where they were.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { IncrementsDocument, LiveStatsDocument } from "../gql/graphql.js";
import { type Subscription, subscribeSse, subscribeWs } from "../helpers/graphql.js";
import { metric, trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { type ChildPublisher, EXACT_HWM, spawnChildPublisher } from "../helpers/publisher-child.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService, wiring } from "../helpers/service.js";

const RATE = 2_000;
const COUNT = 8_000;
const ACCOUNT = "blocked-api";
/** Events the worker must count while the main thread is blocked. */
const GROWTH = 1_000;
/** The block ends when they are counted, or after this long (a hang guard: about 1 s expected). */
const BLOCK_GUARD_MS = 20_000;

describe("faults: the API's thread blocked while events stream in (the all role)", () => {
  let redis: TestRedis;
  let pub: ChildPublisher;
  let service: Service;
  let prefix: string;
  const subs: Array<Subscription<unknown>> = [];

  before(async () => {
    redis = await startRedis();
    pub = await spawnChildPublisher(undefined, { sendHighWaterMark: EXACT_HWM });
    prefix = redis.prefix();
    service = await startTestService(wiring(redis.url, pub.endpoint, prefix));
    await pub.subscribedAfter(0);
  });
  after(async () => {
    await Promise.all(subs.map((s) => s.close()));
    await service?.stop();
    await pub?.kill();
    await redis?.stop();
  });

  /** The account's count for this year, read by redis-cli: works while this thread is blocked. */
  const countedNow = (year: number): number =>
    execFileSync("redis-cli", ["-p", String(redis.port), "HVALS", `${prefix}track:${ACCOUNT}:pageview:${year}`], {
      encoding: "utf8",
    })
      .split("\n")
      .filter((line) => line.trim() !== "")
      .reduce((sum, n) => sum + Number(n), 0);

  it("counts on while the main thread is blocked; the live subscribers then get every increment in order", async () => {
    const year = new Date().getUTCFullYear();
    const increments = subscribeWs(service.url, IncrementsDocument, { account: ACCOUNT, event: "pageview" });
    const stats = subscribeSse(service.url, LiveStatsDocument, { account: ACCOUNT, event: "pageview", year });
    subs.push(increments, stats);
    assert.equal((await stats.next()).data?.stats.total, 0, "the snapshot");
    await eventually(
      async () => (await metric(service.url, "stats_graphql_subscriptions")) === 2,
      "both subscriptions attached",
    );

    const streaming = pub.stream({ accounts: [ACCOUNT], rate: RATE, count: COUNT });
    await eventually(() => countedNow(year) > 0, "the first events counted");

    const atBlock = countedNow(year);
    const blockStart = performance.now();
    let during = atBlock;
    // Synchronous on purpose: no GraphQL, REST, live feed or timer of this thread runs until it ends.
    while (during < atBlock + GROWTH && performance.now() - blockStart < BLOCK_GUARD_MS) during = countedNow(year);
    const blockedMs = Math.round(performance.now() - blockStart);
    assert.ok(
      during >= atBlock + GROWTH,
      `counted ${atBlock} when the main thread was blocked, still ${during} after ${blockedMs} ms`,
    );

    const { sent } = await streaming;
    assert.equal(sent, COUNT);
    await eventually(async () => (await trackTotal(redis.client, prefix, ACCOUNT)) === sent, "every event counted");

    // Live: every increment, as a sum of what each flush added; the stats totals only ever grow.
    const incrementsSum = () =>
      increments.received.reduce(
        (n, r) => n + ((r.data as { increments?: { count: number } })?.increments?.count ?? 0),
        0,
      );
    await eventually(() => incrementsSum() === sent, `increments summing to ${sent}`, 20_000);
    const totals = () => stats.received.map((r) => (r.data as { stats?: { total: number } })?.stats?.total ?? -1);
    await eventually(() => totals().at(-1) === sent, `a stats update with total ${sent}`, 20_000);
    const seen = totals();
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
      "stats totals in flush order",
    );

    // What the worker did shows on this process's /metrics and /readyz.
    assert.equal(await metric(service.url, "stats_events_applied_total"), sent);
    assert.equal(await metric(service.url, "stats_events_received_total"), sent);
    assert.equal(await metric(service.url, "stats_bus_connections"), 1);
    const ready = await fetch(`${service.url}/readyz`);
    const body = (await ready.json()) as { checks: Record<string, string>; shards: { self: unknown } };
    assert.equal(ready.status, 200, JSON.stringify(body));
    assert.deepEqual(body.checks, { store: "ok", event_bus: "ok", lease: "ok", flush: "ok", shards: "ok" });
    assert.ok(body.shards.self, `this process's own shard claim in /readyz: ${JSON.stringify(body.shards)}`);
  });
});
