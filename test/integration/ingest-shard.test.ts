/**
 * `--shard i/n`: two ingest processes on one event stream split it by account. Every account's
 * counts, and the rollup `all`, equal what was sent: nothing is counted twice or missed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { metric, trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService, wiring } from "../helpers/service.js";
import { order, pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

describe("ingest: two shards on one stream", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let shards: Service[];
  let prefix: string;

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    prefix = redis.prefix();
    const flags = (i: number) => [...wiring(redis.url, pub.endpoint, prefix), "--role", "ingest", "--shard", `${i}/2`];
    shards = [await startTestService(flags(0)), await startTestService(flags(1))];
    await pub.waitForSubscribers(2);
  });
  after(async () => {
    for (const s of shards) await s.stop();
    pub.close();
    await redis.stop();
  });

  it("counts every event exactly once, per account and in `all`", async () => {
    const accounts = Array.from({ length: 40 }, (_, i) => `shop-${i}`);
    const sent = new Map<string, number>();
    const orders = new Map<string, number>();
    const N = 4_000;
    for (let i = 0; i < N; i++) {
      const account = accounts[(i * 7) % accounts.length] as string;
      if (i % 5 === 0) {
        await pub.send(order(account, "paid"));
        orders.set(account, (orders.get(account) ?? 0) + 1);
      } else {
        await pub.send(pageview(account));
        sent.set(account, (sent.get(account) ?? 0) + 1);
      }
    }

    const applied = async () => {
      let sum = 0;
      for (const s of shards) sum += await metric(s.url, "stats_events_applied_total");
      return sum;
    };
    await eventually(async () => (await applied()) === N, `${N} events applied across the shards`, 20_000);

    for (const s of shards) {
      assert.equal(await metric(s.url, "stats_events_received_total"), N, "each shard sees the whole stream");
      const mine = await metric(s.url, "stats_events_applied_total");
      const others = await metric(s.url, 'stats_events_ignored_total{reason="other_shard"}');
      assert.ok(mine > 0 && others > 0, `each shard owns some accounts: ${mine} applied, ${others} ignored`);
      assert.equal(mine + others, N);
    }
    for (const [account, n] of sent) assert.equal(await trackTotal(redis.client, prefix, account), n, account);
    assert.equal(await trackTotal(redis.client, prefix, "all"), N - N / 5, "all");

    const year = new Date().getUTCFullYear();
    for (const [account, n] of orders) {
      assert.deepEqual(await redis.client.hgetall(`${prefix}funnels:${account}:order:${year}`), { paid: String(n) });
    }
    assert.deepEqual(await redis.client.hgetall(`${prefix}funnels:all:order:${year}`), { paid: String(N / 5) });
    // The index, written by both shards, names every account once.
    assert.deepEqual(await shards[0]?.store.accounts("track"), [...sent.keys(), "all"].sort());
    assert.deepEqual(await shards[1]?.store.accounts("funnels"), [...orders.keys(), "all"].sort());
  });
});
