/**
 * A rolling deploy of a single `--role all` process: for a moment the old and the new process hold
 * the same shard (0/1). Both still answer GraphQL and REST, so neither may leave the load balancer:
 * /readyz stays 200 and names the duplicate under `warnings`. (A pure `--role ingest` process is
 * 503 in that case: shard-registry.test.ts.)
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService, wiring } from "../helpers/service.js";
import { startPublisher, type TestPublisher } from "../helpers/zmq.js";

interface Readyz {
  status: number;
  body: { status: string; checks: Record<string, string>; warnings?: Record<string, string> };
}

describe("two --role all processes on one shard (a rolling deploy)", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  const services: Service[] = [];

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    const flags = [...wiring(redis.url, pub.endpoint, redis.prefix()), "--shard-heartbeat", "200ms"];
    services.push(await startTestService(flags), await startTestService(flags));
    await pub.waitForSubscribers(2);
  });

  after(async () => {
    for (const s of services) await s.stop();
    pub?.close();
    await redis?.stop();
  });

  it("both stay ready, and both say the shard is held twice", async () => {
    const readyz = async (s: Service): Promise<Readyz> => {
      const res = await fetch(`${s.url}/readyz`);
      return { status: res.status, body: (await res.json()) as Readyz["body"] };
    };
    for (const s of services) {
      const r = await eventually(async (): Promise<Readyz | undefined> => {
        const seen = await readyz(s);
        return seen.body.warnings?.["shards"] ? seen : undefined;
      }, "the duplicate shard shows in /readyz warnings");
      if (!r) throw new Error("unreachable: eventually resolves only with a value");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.checks["shards"], "ok");
      assert.match(r.body.warnings?.["shards"] ?? "", /shard 0 held by 2 processes/);
    }
  });
});
