/**
 * Defect 3 of issue 8: a failover behind a stable address. The service writes through one address
 * to primary A while B replicates it; then B is promoted, A demoted (REPLICAOF B) and the address
 * moved to B. The open connection still reaches A, now a replica: every flush fails READONLY.
 * The client must reconnect on READONLY (and so reach B), and every event — before, during and
 * after the failover — must be counted exactly once on the new primary.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { metric, type ServerProcess, spawnServer, trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { wiring } from "../helpers/service.js";
import { type SwitchProxy, startSwitchProxy } from "../helpers/switch-proxy.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

describe("faults: failover behind a stable address (READONLY)", () => {
  let a: TestRedis;
  let b: TestRedis;
  let proxy: SwitchProxy;
  let pub: TestPublisher;
  let server: ServerProcess;
  let prefix: string;

  before(async () => {
    a = await startRedis();
    b = await startRedis();
    await b.client.call("REPLICAOF", "127.0.0.1", String(a.port));
    await eventually(async () => /master_link_status:up/.test(await b.client.info("replication")), "B replicates A");
    proxy = await startSwitchProxy(a.port);
    pub = await startPublisher();
    prefix = a.prefix();
    server = await spawnServer(wiring(`redis://127.0.0.1:${proxy.port}`, pub.endpoint, prefix));
    await pub.waitForSubscribers(1);
    await eventually(async () => (await fetch(`${server.url}/readyz`)).status === 200, "service ready");
  });
  after(async () => {
    pub.close();
    await server.stop("SIGKILL");
    await proxy.close();
    await a.stop();
    await b.stop();
  });

  it("reconnects on READONLY and counts every event once on the new primary", async (t) => {
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) await pub.send(pageview("failover"));
    };
    await send(1_000);
    await eventually(async () => (await trackTotal(b.client, prefix, "failover")) === 1_000, "replicated to B");

    // The failover: B promoted, A demoted, the address moved. The service's connection stays on A.
    await b.client.call("REPLICAOF", "NO", "ONE");
    await a.client.call("REPLICAOF", "127.0.0.1", String(b.port));
    proxy.retarget(b.port);
    const failedOverAt = Date.now();
    await send(1_000);
    await eventually(
      async () => (await trackTotal(b.client, prefix, "failover")) === 2_000,
      "the events after the failover on the new primary",
      30_000,
    );
    const recoveredMs = Date.now() - failedOverAt;
    await send(1_000);
    await eventually(async () => (await trackTotal(b.client, prefix, "failover")) === 3_000, "and after", 15_000);
    await eventually(async () => (await fetch(`${server.url}/readyz`)).status === 200, "/readyz 200");

    const readonly = await metric(server.url, 'stats_flush_errors_total{kind="refused",code="READONLY"}');
    assert.equal(await trackTotal(b.client, prefix, "all"), 3_000);
    assert.equal(await metric(server.url, "stats_events_applied_total"), 3_000);
    t.diagnostic(
      `failover: ${readonly} flush attempts failed READONLY; writes reached the new primary ${recoveredMs} ms after it; 3000 sent, 3000 counted`,
    );
  });
});
