/**
 * A rolling deploy of a single `--role all` process: for a moment the old and the new process are
 * both up on the same shard (0/1). The shard's lease lets one count: the new one waits as a
 * standby — ready (it answers GraphQL and REST, and must not hold the deploy up), saying so under
 * /readyz `warnings` — and takes over as soon as the old one stops and releases the lease. Every
 * event is counted once before, and once after, the hand-over.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService, wiring } from "../helpers/service.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

interface Readyz {
  status: number;
  body: {
    status: string;
    checks: Record<string, string>;
    warnings?: Record<string, string>;
    lease?: { shard: string; state: string; owner: string | null };
    shards: { standby: Array<{ shard: string; instance: string }>; alive: string[] };
  };
}

const readyz = async (s: Service): Promise<Readyz> => {
  const res = await fetch(`${s.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Readyz["body"] };
};

describe("two --role all processes on one shard (a rolling deploy)", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let prefix: string;
  const services: Service[] = [];
  let old: Service;
  let next: Service;

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    prefix = redis.prefix();
    const flags = [...wiring(redis.url, pub.endpoint, prefix), "--shard-heartbeat", "200ms"];
    old = await startTestService(flags);
    services.push(old);
    await pub.waitForSubscribers(1);
    await eventually(async () => (await readyz(old)).body.lease?.state === "owner", "the first process owns 0/1");
    next = await startTestService(flags);
    services.push(next);
  });

  after(async () => {
    for (const s of services) await s.stop();
    pub?.close();
    await redis?.stop();
  });

  /** Sends `n` pageviews, then a marker: once the marker is counted, everything before it was flushed. */
  const sendAndSettle = async (n: number, marker: string) => {
    for (let i = 0; i < n; i++) await pub.send(pageview(`acct${i % 5}`));
    await pub.send(pageview(marker));
    await eventually(async () => (await trackTotal(redis.client, prefix, marker)) >= 1, `${marker} counted`);
  };

  it("both are ready; the new one is a standby, says so, and counts nothing", async () => {
    await eventually(async () => (await readyz(next)).body.lease?.state === "standby", "the second is a standby");
    const r = await readyz(next);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.warnings?.["lease"] ?? "", /standby for shard 0\/1/);
    assert.equal(r.body.lease?.owner, (await readyz(old)).body.lease?.owner);
    assert.equal((await readyz(old)).status, 200);
    await eventually(
      async () => (await readyz(old)).body.shards.standby.length === 1,
      "the registry lists the standby",
    );
    assert.deepEqual((await readyz(old)).body.shards.alive, ["0/1"]);

    await sendAndSettle(50, "marker1");
    assert.equal(await trackTotal(redis.client, prefix, "all"), 51, "each event counted once, not twice");
  });

  it("the old one stops: the standby takes over at once and counts what follows, once", async () => {
    const stoppedAt = Date.now();
    await old.stop();
    await pub.waitForSubscribers(2);
    // What /readyz says comes from the ingest thread (a worker in the all role): it follows.
    await eventually(async () => (await readyz(next)).body.lease?.state === "owner", "the standby owns 0/1");
    console.log(`hand-over after a clean stop: the standby subscribed ${Date.now() - stoppedAt} ms after stop() began`);
    await sendAndSettle(50, "marker2");
    assert.equal(await trackTotal(redis.client, prefix, "all"), 102);
  });
});
