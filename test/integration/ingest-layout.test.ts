/**
 * A known stream over a real ZeroMQ PUB socket into a real redis-server: every key and field of
 * docs/contract.md §3 is asserted exactly, with the TTL on minute keys, and malformed messages are counted.
 * The events carry their own time (`--time-source event`), so where they land does not depend on
 * when the test runs: no minute boundary can fall inside the stream.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { bucketOf } from "../../src/ingest/bucket.js";
import { eventually } from "../helpers/ports.js";
import type { TestRedis } from "../helpers/redis.js";
import { metricValue, type ServiceRig, startServiceRig } from "../helpers/service.js";
import { order, pageview, type TestPublisher } from "../helpers/zmq.js";

describe("ingest: Redis layout of the old service", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let service: Service;
  let prefix: string;

  let rig: ServiceRig;

  before(async () => {
    rig = await startServiceRig(["--minute-retention", "2d", "--time-source", "event"]);
    ({ redis, pub, service, prefix } = rig);
  });
  after(() => rig.stop());

  it("writes every key and field of docs/contract.md §3, unpadded, for the account and for `all`", async () => {
    // One instant for every event: 16:07:30 UTC on the contract's example day (one-digit month,
    // day and minute, to show the fields are unpadded).
    const time = "2013-09-05T16:07:30Z";
    const stream = [
      pageview("acme", { unq: "1" }, time),
      pageview("acme", { unq: 1 }, time),
      pageview("acme", { unq: true }, time),
      pageview("acme", { unq: "0" }, time),
      pageview("acme", {}, time),
      pageview("beta.co_x-1", {}, time),
      order("acme", "checkout", time),
      order("acme", "checkout", time),
      order("acme", "closed", time),
      order("acme", undefined, time),
      order("acme", "", time),
      // two-frame and bare-JSON forms
      ["pageview", JSON.stringify({ type: "pageview", time, data: { account: "beta.co_x-1", unq: "1" } })],
      JSON.stringify({ type: "pageview", time, data: { account: "beta.co_x-1" } }),
      // the JSON's type wins over the topic word
      `order ${JSON.stringify({ type: "pageview", time, data: { account: "gamma" } })}`,
      // malformed: each is dropped and counted
      "pageview {not json",
      `pageview ${JSON.stringify({ data: { account: "acme" } })}`,
      `pageview ${JSON.stringify({ type: "pageview", data: {} })}`,
      `pageview ${JSON.stringify({ type: "pageview", data: { account: "a:b" } })}`,
      `pageview ${JSON.stringify({ type: "page view", data: { account: "acme" } })}`,
      `pageview ${JSON.stringify({ type: "pageview", data: { account: "acme", pad: "x".repeat(70_000) } })}`,
      // valid but untracked type: ignored, not dropped
      `signup ${JSON.stringify({ type: "signup", time, data: { account: "acme" } })}`,
    ];
    for (const m of stream) await pub.send(m);

    const metrics = async () => (await fetch(`${service.url}/metrics`)).text();
    await eventually(
      async () => metricValue(await metrics(), "stats_events_applied_total") === 14,
      "14 events applied",
    );
    const { year: Y, month: M, day: D, hour: h, minute: m } = bucketOf(Date.parse(time));
    const r = redis.client;
    const hash = async (key: string) => r.hgetall(`${prefix}${key}`);
    const track = async (account: string, event: string, count: number) => {
      assert.deepEqual(await hash(`track:${account}:${event}:${Y}`), { [M]: String(count) });
      assert.deepEqual(await hash(`track:${account}:${event}:${Y}:${M}`), { [D]: String(count) });
      assert.deepEqual(await hash(`track:${account}:${event}:${Y}:${M}:${D}`), { [h]: String(count) });
      assert.deepEqual(await hash(`track:${account}:${event}:${Y}:${M}:${D}:${h}`), { [m]: String(count) });
    };
    await track("acme", "pageview", 5);
    await track("acme", "unique", 3);
    await track("beta.co_x-1", "pageview", 3);
    await track("beta.co_x-1", "unique", 1);
    await track("gamma", "pageview", 1);
    await track("all", "pageview", 9);
    await track("all", "unique", 4);

    const statuses = { checkout: "2", closed: "1", unknown: "2" };
    for (const account of ["acme", "all"]) {
      assert.deepEqual(await hash(`funnels:${account}:order:${Y}`), statuses);
      assert.deepEqual(await hash(`funnels:${account}:order:${Y}:${M}`), statuses);
      assert.deepEqual(await hash(`funnels:${account}:order:${Y}:${M}:${D}`), statuses);
      assert.deepEqual(await hash(`funnels:${account}:order:${Y}:${M}:${D}:${h}`), statuses);
    }

    // The rankings (docs/contract.md §9): per tracked event, the accounts (never `all`) by count in each UTC period.
    const zset = async (key: string) => r.zrange(`${prefix}${key}`, 0, -1, "WITHSCORES");
    for (const [event, ranked] of [
      ["pageview", ["gamma", "1", "beta.co_x-1", "3", "acme", "5"]],
      ["unique", ["beta.co_x-1", "1", "acme", "3"]],
    ] as const) {
      for (const period of [`${Y}`, `${Y}:${M}`, `${Y}:${M}:${D}`, `${Y}:${M}:${D}:${h}`, `${Y}:${M}:${D}:${h}:${m}`]) {
        assert.deepEqual(await zset(`top:{${event}}:${period}`), ranked, `${event} ${period}`);
      }
    }
    const minuteTtl = await r.ttl(`${prefix}top:{pageview}:${Y}:${M}:${D}:${h}:${m}`);
    assert.ok(minuteTtl > 2 * 86_400 - 60 && minuteTtl <= 2 * 86_400, `minute ranking TTL ${minuteTtl}`);
    assert.equal(await r.ttl(`${prefix}top:{pageview}:${Y}:${M}:${D}:${h}`), -1);

    // Nothing else was written but the index, the rankings, the batch guards, this process's shard
    // registration and its shard's lease.
    const keys = (await r.keys(`${prefix}*`)).map((k) => k.slice(prefix.length)).sort();
    const counters = keys.filter((k) => k.startsWith("track:") || k.startsWith("funnels:"));
    assert.equal(counters.length, 7 * 4 + 2 * 4);
    assert.equal(keys.filter((k) => k.startsWith("top:")).length, 2 * 5, "5 rankings per tracked event");
    assert.deepEqual(
      keys.filter((k) => k.startsWith("ingest:")),
      ["ingest:lease:{0/1}", "ingest:lease:{0/1}:epoch", "ingest:registry", "ingest:registry:n"],
    );
    assert.ok(
      keys.every((k) => /^(track|funnels|index|applied|ingest|top):/.test(k)),
      keys.join(" "),
    );

    // Minute keys expire (--minute-retention 2d); the others do not.
    const ttl = await r.ttl(`${prefix}track:acme:pageview:${Y}:${M}:${D}:${h}`);
    assert.ok(ttl > 2 * 86_400 - 60 && ttl <= 2 * 86_400, `minute key TTL ${ttl}`);
    assert.equal(await r.ttl(`${prefix}track:acme:pageview:${Y}:${M}:${D}`), -1);
    assert.equal(await r.ttl(`${prefix}funnels:acme:order:${Y}:${M}:${D}`), -1);
    assert.equal(await r.ttl(`${prefix}funnels:acme:order:${Y}:${M}:${D}:${h}`), -1);

    // The listing index names what has data.
    assert.deepEqual(await service.store.accounts("track"), ["acme", "all", "beta.co_x-1", "gamma"]);
    assert.deepEqual(await service.store.events("track", "acme"), ["pageview", "unique"]);
    assert.deepEqual(await service.store.accounts("funnels"), ["acme", "all"]);
    assert.deepEqual(await service.store.years("funnels", "acme", "order"), [Y]);

    const text = await metrics();
    assert.equal(metricValue(text, "stats_events_received_total"), stream.length);
    for (const reason of ["bad_json", "missing_type", "missing_account", "bad_account", "bad_type", "too_large"]) {
      assert.equal(metricValue(text, `stats_events_dropped_total{reason="${reason}"}`), 1, reason);
    }
    assert.equal(metricValue(text, 'stats_events_ignored_total{reason="untracked_type"}'), 1);
    for (const reason of ["missing", "unparseable", "out_of_range"]) {
      const fallbacks = metricValue(text, `stats_event_time_fallbacks_total{reason="${reason}"}`);
      assert.equal(fallbacks, 0, `no event fell back to receive time (${reason})`);
    }
  });
});
