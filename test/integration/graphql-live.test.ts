/**
 * Live subscriptions end to end: events published on a real ZeroMQ socket, flushed into a real
 * redis-server, pushed to real graphql-ws and SSE clients — snapshot first, then updates; one
 * message per flush per subscriber, and one store read per flush however many subscribe.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { print } from "graphql";
import type { Service } from "../../src/commands/serve.js";
import { IncrementsDocument, LiveFunnelDocument, LiveStatsDocument, StatsDocument } from "../gql/graphql.js";
import { query, queryByGet, type Subscription, subscribeSse, subscribeWs } from "../helpers/graphql.js";
import { trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import type { TestRedis } from "../helpers/redis.js";
import { metricValue, type ServiceRig, startServiceRig, startTestService } from "../helpers/service.js";
import { order, pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

const year = () => new Date().getUTCFullYear();
const transports = { "graphql-ws": subscribeWs, SSE: subscribeSse } as const;

async function openSubscriptions(service: Service): Promise<number> {
  return metricValue(await (await fetch(`${service.url}/metrics`)).text(), "stats_graphql_subscriptions");
}

async function closeAll(subs: Array<Subscription<unknown>>) {
  await Promise.all(subs.map((s) => s.close()));
}

describe("GraphQL subscriptions over graphql-ws and SSE", () => {
  let pub: TestPublisher;
  let service: Service;

  let rig: ServiceRig;

  before(async () => {
    rig = await startServiceRig();
    ({ pub, service } = rig);
  });
  after(() => rig.stop());

  for (const [name, subscribe] of Object.entries(transports)) {
    it(`${name}: Subscription.stats sends the snapshot first, then a fresh Stats after each flush`, async () => {
      const account = `acme-${name}`;
      await pub.send(pageview(account));
      // This account's event in Redis (the applied count also holds the other transport's run).
      await eventually(
        async () => (await trackTotal(rig.redis.client, rig.prefix, account)) === 1,
        "the first event stored",
      );
      // The flush's message may still be on its way: the snapshot already holds the event, and the
      // feed does not send that state again (the loop below fails on an update that is not newer).
      const sub = subscribe(service.url, LiveStatsDocument, { account, event: "pageview", year: year() });
      try {
        const snapshot = await sub.next();
        assert.equal(snapshot.errors, undefined, JSON.stringify(snapshot.errors));
        assert.equal(snapshot.data?.stats.total, 1, "snapshot holds what was there before subscribing");
        assert.equal(snapshot.data?.stats.granularity, "MONTH");
        assert.equal(snapshot.data?.stats.segments.length, 12);

        for (let i = 0; i < 3; i++) await pub.send(pageview(account));
        let last = snapshot;
        while ((last.data?.stats.total ?? 0) < 4) {
          const update = await sub.next();
          assert.ok((update.data?.stats.total ?? 0) > (last.data?.stats.total ?? 0), "each update is newer");
          last = update;
        }
        assert.equal(last.data?.stats.total, 4);
        const month = new Date().getUTCMonth() + 1;
        assert.equal(last.data?.stats.segments.find((s) => s.key === month)?.count, 4);
      } finally {
        await sub.close();
      }
    });

    it(`${name}: Subscription.increments sends each flushed delta, filtered by account`, async () => {
      const account = `inc-${name}`;
      await eventually(async () => (await openSubscriptions(service)) === 0, "earlier subscriptions detached");
      const sub = subscribe(service.url, IncrementsDocument, { account });
      try {
        await eventually(async () => (await openSubscriptions(service)) === 1, "the subscription open on the server");
        await pub.send(pageview("someone-else"));
        await pub.send(pageview(account, { unq: "1" }));
        await pub.send(order(account, "paid"));
        const seen: Array<{ event: string; status: string | null; count: number; at: string }> = [];
        while (seen.length < 3) {
          const m = await sub.next();
          assert.equal(m.errors, undefined, JSON.stringify(m.errors));
          const inc = m.data?.increments;
          assert.ok(inc);
          assert.equal(inc.account, account);
          seen.push({ event: inc.event, status: inc.status, count: inc.count, at: inc.at });
        }
        seen.sort((a, b) => a.event.localeCompare(b.event));
        assert.deepEqual(
          seen.map(({ event, status, count }) => ({ event, status, count })),
          [
            { event: "order", status: "paid", count: 1 },
            { event: "pageview", status: null, count: 1 },
            { event: "unique", status: null, count: 1 },
          ],
        );
        const now = Date.now();
        const pv = seen.find((s) => s.event === "pageview");
        const minute = Date.parse(pv?.at ?? "");
        assert.equal(minute % 60_000, 0, "at is the start of a minute");
        assert.ok(now - minute < 120_000, `at ${pv?.at} is this minute`);
        const orderAt = seen.find((s) => s.event === "order")?.at ?? "";
        const hour = Date.parse(orderAt);
        assert.equal(hour % 3_600_000, 0, "funnel increments are at the start of their UTC hour");
        assert.ok(now - hour < 3_600_000 + 60_000, `at ${orderAt} is this hour`);
      } finally {
        await sub.close();
      }
    });

    it(`${name}: Subscription.funnel sends the snapshot, then the statuses after a flush`, async () => {
      const account = `funnel-${name}`;
      const sub = subscribe(service.url, LiveFunnelDocument, { account, event: "order", year: year() });
      try {
        const snapshot = await sub.next();
        assert.deepEqual(snapshot.data?.funnel.statuses, []);
        await pub.send(order(account, "paid"));
        await pub.send(order(account));
        let last = snapshot;
        while ((last.data?.funnel.total ?? 0) < 2) last = await sub.next();
        assert.deepEqual(last.data?.funnel.statuses, [
          { status: "paid", count: 1 },
          { status: "unknown", count: 1 },
        ]);
      } finally {
        await sub.close();
      }
    });

    it(`${name}: a flush invalidates cached query answers before subscribers hear of it`, async () => {
      const account = `cache-${name}`;
      const vars = { account, event: "pageview", year: year() };
      const sub = subscribe(service.url, LiveStatsDocument, vars);
      try {
        assert.equal((await sub.next()).data?.stats.total, 0);
        for (let i = 0; i < 2; i++)
          assert.equal((await queryByGet(service.url, StatsDocument, vars)).body.data?.stats.total, 0);
        await pub.send(pageview(account));
        assert.equal((await sub.next()).data?.stats.total, 1);
        // No waiting: the answer kept from before the flush is gone by the time the update is out.
        assert.equal((await queryByGet(service.url, StatsDocument, vars)).body.data?.stats.total, 1);
        assert.equal((await query(service.url, StatsDocument, vars)).body.data?.stats.total, 1);
      } finally {
        await sub.close();
      }
    });

    it(`${name}: bad subscription arguments are BAD_USER_INPUT`, async () => {
      const bad = [
        subscribe(service.url, LiveStatsDocument, { account: "acme", event: "pageview", year: 2013, month: 13 }),
        subscribe(service.url, LiveStatsDocument, { account: "acme", event: "pageview", year: 2013, hour: 1 }),
        subscribe(service.url, IncrementsDocument, { account: "not valid" }),
      ];
      try {
        const messages = [/month must be 1-12, got 13/, /hour needs day/, /account must be/];
        for (const [i, sub] of bad.entries()) {
          const m = await sub.next();
          assert.equal(m.errors?.[0]?.extensions?.["code"], "BAD_USER_INPUT", JSON.stringify(m));
          assert.match(m.errors?.[0]?.message ?? "", messages[i] as RegExp);
          await sub.done;
        }
      } finally {
        await closeAll(bad);
      }
    });
  }
});

describe("SSE without asking for it: a subscription POSTed with Accept: */*", () => {
  let service: Service;
  before(async () => {
    service = await startTestService(["--store", "memory", "--zmq", "tcp://127.0.0.1:1"]);
  });
  after(async () => {
    await service.stop();
  });

  it("streams as SSE (GraphQL over HTTP), snapshot first", async () => {
    const abort = new AbortController();
    const res = await fetch(`${service.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "*/*" },
      body: JSON.stringify({ query: print(LiveStatsDocument), variables: { account: "a", event: "e", year: 2020 } }),
      signal: abort.signal,
    });
    try {
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
      const reader = res.body?.getReader();
      let text = "";
      while (reader && !text.includes("event: next")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      assert.match(text, /event: next\ndata: \{"data":\{"stats":\{"account":"a"/);
    } finally {
      abort.abort();
    }
  });
});

describe("live fan-out: one flush, many subscribers", () => {
  let rig: ServiceRig;
  let redis: TestRedis;
  let pub: TestPublisher;
  let service: Service;
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);

  before(async () => {
    // Flushes happen only when the test says so.
    rig = await startServiceRig(["--flush-interval", "1h"]);
    ({ redis, pub, service } = rig);
    process.on("warning", onWarning);
  });
  after(async () => {
    process.off("warning", onWarning);
    await rig.stop();
  });

  const hgetallCalls = async () => {
    const info = await redis.client.info("commandstats");
    return Number(/cmdstat_hgetall:calls=(\d+)/.exec(info)?.[1] ?? 0);
  };

  it("a flush of 300 events yields one message per subscriber and one store read in all", async () => {
    const vars = { account: "fan", event: "pageview", year: year() };
    const subs = [
      ...Array.from({ length: 12 }, () => subscribeWs(service.url, LiveStatsDocument, vars)),
      ...Array.from({ length: 12 }, () => subscribeSse(service.url, LiveStatsDocument, vars)),
    ];
    try {
      for (const sub of subs) {
        const first = await sub.next();
        assert.equal(first.data?.stats.total, 0, JSON.stringify(first));
      }
      const readsBefore = await hgetallCalls();

      for (let i = 0; i < 300; i++) await pub.send(pageview("fan"));
      await eventually(
        async () =>
          metricValue(await (await fetch(`${service.url}/metrics`)).text(), "stats_events_received_total") === 300,
        "300 events received",
      );
      await service.ingest?.flush();

      for (const sub of subs) assert.equal((await sub.next()).data?.stats.total, 300);
      assert.equal((await hgetallCalls()) - readsBefore, 1, "one read of the period for 24 subscribers");
      // The marker that nothing else came of that flush: the next flush's update is each
      // subscriber's next message (a connection delivers in order), and its only read.
      await pub.send(pageview("fan"));
      await eventually(
        async () =>
          metricValue(await (await fetch(`${service.url}/metrics`)).text(), "stats_events_received_total") === 301,
        "the 301st event received",
      );
      await service.ingest?.flush();
      for (const sub of subs) assert.equal((await sub.next()).data?.stats.total, 301);
      for (const sub of subs) assert.equal(sub.received.length, 3, "snapshot + exactly one update per flush");
      assert.equal((await hgetallCalls()) - readsBefore, 2, "one read per flush for 24 subscribers");
      assert.deepEqual(
        warnings.map((w) => w.name),
        [],
        "no MaxListenersExceeded (or any other) warning",
      );
    } finally {
      await closeAll(subs);
    }
    await eventually(async () => (await openSubscriptions(service)) === 0, "every subscription detached");
  });
});

describe("live updates with the embedded store (--store memory, --pubsub memory)", () => {
  let pub: TestPublisher;
  let service: Service;

  before(async () => {
    pub = await startPublisher();
    service = await startTestService(["--store", "memory", "--zmq", pub.endpoint]);
    await pub.waitForSubscribers();
  });
  after(async () => {
    await service.stop();
    pub.close();
  });

  it("pushes updates over both transports", async () => {
    const vars = { account: "mem", event: "pageview", year: year() };
    const subs = [
      subscribeWs(service.url, LiveStatsDocument, vars),
      subscribeSse(service.url, LiveStatsDocument, vars),
    ];
    try {
      for (const sub of subs) assert.equal((await sub.next()).data?.stats.total, 0);
      await pub.send(pageview("mem"));
      for (const sub of subs) assert.equal((await sub.next()).data?.stats.total, 1);
    } finally {
      await closeAll(subs);
    }
    await eventually(async () => (await openSubscriptions(service)) === 0, "every subscription detached");
  });
});
