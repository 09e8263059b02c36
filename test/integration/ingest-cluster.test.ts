/** --redis-cluster: a real three-master cluster; keys spread over slots; exactly-once per slot group. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import calculateSlot from "cluster-key-slot";
import type { Service } from "../../src/commands/serve.js";
import { bucketOf } from "../../src/ingest/bucket.js";
import { TopDocument } from "../gql/graphql.js";
import { query } from "../helpers/graphql.js";
import { eventually } from "../helpers/ports.js";
import { startRedisCluster, type TestCluster } from "../helpers/redis-cluster.js";
import { metricValue, startTestService } from "../helpers/service.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

describe("ingest into a Redis Cluster", () => {
  let cluster: TestCluster;
  let pub: TestPublisher;
  let service: Service;

  before(async () => {
    cluster = await startRedisCluster();
    pub = await startPublisher();
    service = await startTestService([
      "--redis-cluster",
      cluster.nodes.join(","),
      "--zmq",
      pub.endpoint,
      "--time-source",
      "event",
    ]);
    await pub.waitForSubscribers();
  });
  after(async () => {
    await service?.stop();
    pub?.close();
    await cluster?.stop();
  });

  it("counts every event across slots and lists accounts from the index", async () => {
    const accounts = Array.from({ length: 40 }, (_, i) => `acct${i}`);
    // Events carry their own time, so no day or month boundary can fall inside the test.
    const time = "2013-09-05T16:07:30Z";
    const b = bucketOf(Date.parse(time));
    for (let round = 0; round < 5; round++) {
      for (const account of accounts) await pub.send(pageview(account, { unq: round === 0 ? "1" : "0" }, time));
    }
    await eventually(
      async () =>
        metricValue(await (await fetch(`${service.url}/metrics`)).text(), "stats_events_applied_total") === 200,
      "200 events applied",
    );
    const year = await cluster.client.hgetall(`track:all:pageview:${b.year}`);
    assert.deepEqual(year, { [b.month]: "200" });
    assert.deepEqual(await cluster.client.hgetall(`track:all:unique:${b.year}:${b.month}`), { [b.day]: "40" });
    for (const account of accounts) {
      assert.deepEqual(await cluster.client.hgetall(`track:${account}:pageview:${b.year}`), { [b.month]: "5" });
    }
    const listed = await service.store.accounts("track");
    assert.deepEqual(listed, [...accounts, "all"].sort());
    const counts = await service.store.countsMany(
      accounts
        .slice(0, 5)
        .map((account) => ({ kind: "track" as const, account, event: "pageview", period: { year: b.year } })),
    );
    assert.deepEqual(
      counts.map((c) => c.get(String(b.month))),
      [5, 5, 5, 5, 5],
    );
    const report = await service.store.reindex();
    assert.ok(report.indexed >= 41 * 4, JSON.stringify(report));
    assert.ok(report.ranked >= 40 * 4, JSON.stringify(report));

    // Rankings (docs/contract.md §9): every sorted set of an event in one hash slot, so a window is one
    // command; exact, ties by name; unchanged by the reindex (it sets, never adds).
    const slots = new Set<number>();
    for (const node of cluster.client.nodes("master")) {
      let cursor = "0";
      do {
        const [next, keys] = await node.scan(cursor, "MATCH", "top:{pageview}:*", "COUNT", 1000);
        cursor = next;
        for (const key of keys) slots.add(calculateSlot(key));
      } while (cursor !== "0");
    }
    assert.deepEqual([...slots], [calculateSlot("{pageview}")]);
    // The day of the events' own time, and the day after.
    const day = Date.UTC(b.year, b.month - 1, b.day);
    const top = await query(service.url, TopDocument, {
      event: "pageview",
      granularity: "DAY",
      from: new Date(day).toISOString(),
      to: new Date(day + 2 * 86_400_000).toISOString(),
      first: 3,
    });
    assert.equal(top.body.errors, undefined, JSON.stringify(top.body.errors));
    assert.deepEqual(
      { total: top.body.data?.top.total, accountCount: top.body.data?.top.accountCount },
      { total: 200, accountCount: 40 },
    );
    assert.deepEqual(top.body.data?.top.accounts, [
      { account: "acct0", count: 5 },
      { account: "acct1", count: 5 },
      { account: "acct10", count: 5 },
    ]);
    assert.equal(top.body.data?.top.others, 185);
    const hour = Date.UTC(b.year, b.month - 1, b.day, b.hour);
    const unique = await query(service.url, TopDocument, {
      event: "unique",
      granularity: "HOUR",
      from: new Date(hour).toISOString(),
      to: new Date(hour + 3_600_000).toISOString(),
      first: 100,
    });
    assert.equal(unique.body.data?.top.accounts.length, 40);
    assert.ok(unique.body.data?.top.accounts.every((a) => a.count === 1));
  });
});
