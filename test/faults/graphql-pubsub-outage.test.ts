/**
 * The Redis pub/sub connection is lost while clients hold live subscriptions (graphql-ws and
 * SSE): the clients keep their connections, and once the bus is back each gets the fresh Stats
 * it missed — even though no flush happens after the reconnect to carry it.
 *
 * The outage is made deterministic with the real server: the live subscriber's connection is
 * killed (`CLIENT KILL TYPE pubsub`) while `maxclients` keeps it from reconnecting, so the
 * flushes in between are published to nobody; restoring `maxclients` ends the outage.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { LiveStatsDocument } from "../gql/graphql.js";
import { subscribeSse, subscribeWs } from "../helpers/graphql.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { metricValue, startTestService } from "../helpers/service.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

describe("Redis pub/sub lost under live subscriptions", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let service: Service;
  const metric = async (name: string) => metricValue(await (await fetch(`${service.url}/metrics`)).text(), name);

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    service = await startTestService([
      "--redis",
      redis.url,
      "--pubsub",
      "redis",
      "--zmq",
      pub.endpoint,
      "--key-prefix",
      redis.prefix(),
    ]);
    await pub.waitForSubscribers();
  });
  after(async () => {
    await redis?.client.config("SET", "maxclients", "10000").catch(() => {});
    await service?.stop();
    pub?.close();
    await redis?.stop();
  });

  it("graphql-ws and SSE subscribers stay connected and get the Stats they missed once the bus is back", async (t) => {
    const account = "outage";
    const vars = { account, event: "pageview", year: new Date().getUTCFullYear() };
    const subs = {
      "graphql-ws": subscribeWs(service.url, LiveStatsDocument, vars),
      SSE: subscribeSse(service.url, LiveStatsDocument, vars),
    };
    let ended = false;
    void Promise.race(Object.values(subs).map((s) => s.done)).then(() => {
      ended = true;
    });
    try {
      for (const s of Object.values(subs)) assert.equal((await s.next()).data?.stats.total, 0, "snapshot");
      await pub.send(pageview(account));
      for (const s of Object.values(subs))
        assert.equal((await s.next()).data?.stats.total, 1, "live before the outage");

      // Outage: the subscriber connection is dropped and cannot come back.
      await redis.client.config("SET", "maxclients", "1");
      const killed = Number(await redis.client.call("CLIENT", "KILL", "TYPE", "pubsub"));
      assert.ok(killed >= 1, "the live bus subscriber was connected");
      const applied = await metric("stats_events_applied_total");
      for (let i = 0; i < 3; i++) await pub.send(pageview(account));
      await eventually(async () => (await metric("stats_events_applied_total")) === applied + 3, "the events flushed");

      const restored = Date.now();
      await redis.client.config("SET", "maxclients", "10000");
      const latencies: string[] = [];
      for (const [name, s] of Object.entries(subs)) {
        const fresh = await s.next(10_000);
        assert.equal(fresh.errors, undefined, JSON.stringify(fresh.errors));
        assert.equal(fresh.data?.stats.total, 4, `${name}: the state after the missed flushes`);
        // The marker that the flushes during the outage were not heard: this is the next message.
        assert.equal(s.received.length, 3, `${name}: snapshot, live update, then the resync`);
        latencies.push(`${name} ${Date.now() - restored} ms`);
      }
      assert.equal(ended, false, "no subscription ended");
      assert.equal(await metric("stats_live_resyncs_total"), 1);

      // And live again, as before.
      await pub.send(pageview(account));
      for (const s of Object.values(subs)) assert.equal((await s.next()).data?.stats.total, 5, "live after the outage");
      assert.equal(ended, false, "still connected");
      t.diagnostic(
        `pub/sub down with 3 flushes missed; fresh Stats after the bus came back: ${latencies.join(", ")} (incl. reconnect backoff)`,
      );
    } finally {
      await Promise.all(Object.values(subs).map((s) => s.close()));
    }
  });
});
