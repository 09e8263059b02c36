/**
 * Defects 4 and 5 of issue 8. Redis answers PING but refuses every write (OOM: maxmemory reached
 * under noeviction): /readyz must say 503 with the reason while flushes fail, `stats_redis_up`
 * keeps its one meaning (the connection is up) instead of flapping, and every event is applied
 * once Redis accepts writes again. Then the eviction policy: anything but noeviction can evict the
 * exactly-once guards, so it is reported (log, /readyz JSON, a metric) at start and whenever the
 * connection is re-established.
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
import { eventually, sleep } from "../helpers/ports.js";
import type { TestRedis } from "../helpers/redis.js";
import { pageview, type TestPublisher } from "../helpers/zmq.js";

interface Readyz {
  status: number;
  body: {
    status: string;
    checks: Record<string, string>;
    reasons?: Record<string, string>;
    warnings?: Record<string, string>;
  };
}

describe("faults: Redis refuses writes; Redis may evict", () => {
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
    await redis.client.config("SET", "maxmemory", "0").catch(() => {});
    await rig?.stop();
  });

  const readyz = async (): Promise<Readyz> => {
    const res = await fetch(`${server.url}/readyz`);
    return { status: res.status, body: (await res.json()) as Readyz["body"] };
  };
  const m = (name: string) => metric(server.url, name);
  /** Drops the service's command connection (ioredis reconnects at once). */
  const killCommandConnection = async () => {
    const list = String(await redis.client.call("CLIENT", "LIST"));
    const ids = list
      .split("\n")
      .filter((l) => l.includes("name=stats-server:commands"))
      .map((l) => /\bid=(\d+)/.exec(l)?.[1]);
    assert.ok(ids.length > 0, "found the service's command connection");
    for (const id of ids) await redis.client.call("CLIENT", "KILL", "ID", id as string);
  };

  it("says 503 with the reason while Redis refuses writes (OOM), keeps stats_redis_up at 1, and applies everything after", async (t) => {
    await redis.client.config("SET", "maxmemory", "1");
    const refusedAt = Date.now();
    for (let i = 0; i < 500; i++) await pub.send(pageview("oom"));
    const seen = (await eventually(async () => {
      const r = await readyz();
      return r.status === 503 ? r : undefined;
    }, "/readyz 503 while writes are refused")) as Readyz;
    const detectMs = Date.now() - refusedAt;
    assert.equal(seen.body.checks["store"], "ok", "PING still answers");
    assert.equal(seen.body.checks["flush"], "down");
    assert.match(seen.body.reasons?.["flush"] ?? "", /store refused the write: OOM/);

    // One meaning, one writer: the connection is up the whole time (no flapping with /readyz PINGs).
    const ups: number[] = [];
    for (let i = 0; i < 5; i++) {
      await readyz();
      ups.push(await m("stats_redis_up"));
      await sleep(100);
    }
    assert.deepEqual(ups, [1, 1, 1, 1, 1]);
    assert.equal(await m("stats_flush_failing"), 1);
    assert.ok((await m('stats_flush_errors_total{kind="refused",code="OOM"}')) > 0);
    // The process writes its log asynchronously: the line may come after what the test saw.
    await eventually(
      () => logLines(server.stderr()).some((l) => l["code"] === "OOM" && l["level"] === 50),
      "an error line says OOM",
    );
    assert.equal(await trackTotal(redis.client, prefix, "oom"), 0);

    await redis.client.config("SET", "maxmemory", "0");
    await eventually(
      async () => (await trackTotal(redis.client, prefix, "oom")) === 500,
      "every event applied",
      15_000,
    );
    await eventually(async () => (await readyz()).status === 200, "/readyz 200 again");
    // The shard's registration could not be renewed while Redis refused writes: it heals too.
    await eventually(async () => (await readyz()).body.warnings === undefined, "no readiness warning again");
    assert.equal(await m("stats_flush_failing"), 0);
    t.diagnostic(
      `OOM: /readyz 503 (reason: flush) after ${detectMs} ms, stats_redis_up 1 in 5 of 5 scrapes; 500 sent, 500 counted after`,
    );
  });

  it("reports a maxmemory-policy other than noeviction on every reconnect (log, /readyz, metric)", async (t) => {
    const policyMetric = (p: string) => m(`stats_redis_maxmemory_policy{policy="${p}"}`);
    assert.equal(await policyMetric("noeviction"), 1);
    assert.equal((await readyz()).body.warnings, undefined);

    await redis.client.config("SET", "maxmemory-policy", "volatile-ttl");
    const changedAt = Date.now();
    await killCommandConnection();
    const warned = (await eventually(async () => {
      const r = await readyz();
      return r.body.warnings?.["store"] ? r : undefined;
    }, "/readyz warning after the reconnect")) as Readyz;
    const detectMs = Date.now() - changedAt;
    assert.equal(warned.status, 200, "a warning, not an outage");
    assert.match(warned.body.warnings?.["store"] ?? "", /volatile-ttl, not noeviction/);
    assert.equal(await policyMetric("volatile-ttl"), 1);
    assert.equal(await policyMetric("noeviction"), 0);
    // The process writes its log asynchronously: the line may come after what the test saw.
    await eventually(
      () => logLines(server.stderr()).some((l) => l["maxmemoryPolicy"] === "volatile-ttl" && l["level"] === 50),
      "an error line names the policy",
    );

    await redis.client.config("SET", "maxmemory-policy", "noeviction");
    await killCommandConnection();
    await eventually(async () => (await readyz()).body.warnings === undefined, "the warning gone after fixing it");
    assert.equal(await policyMetric("noeviction"), 1);
    t.diagnostic(
      `volatile-ttl reported ${detectMs} ms after a reconnect (log, /readyz warnings.store, metric); cleared on the next`,
    );
  });
});
