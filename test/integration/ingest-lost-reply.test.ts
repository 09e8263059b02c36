/**
 * Lost replies: Redis runs a flush but its reply never reaches the service (the connection is cut
 * in between, by a TCP proxy). The service cannot know whether the write happened, so it must
 * retry in a way that cannot count twice. 100 such cuts, and the totals are still exact.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { metric, rankedTotals, trackTotal } from "../helpers/ingest.js";
import { eventually, sleep } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService } from "../helpers/service.js";
import { RESP_EVAL, startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import { order, pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

const CUTS = 100;
const ACCOUNTS = ["acme", "beta", "gamma", "delta", "eps"];

describe("ingest: a lost Redis reply never double-counts nor loses events", () => {
  let redis: TestRedis;
  let proxy: TcpProxy;
  let pub: TestPublisher;
  let service: Service;
  let prefix: string;

  before(async () => {
    redis = await startRedis();
    proxy = await startTcpProxy({ port: redis.port });
    pub = await startPublisher();
    prefix = redis.prefix();
    service = await startTestService([
      "--redis",
      `redis://127.0.0.1:${proxy.port}`,
      "--zmq",
      pub.endpoint,
      "--key-prefix",
      prefix,
    ]);
    await pub.waitForSubscribers();
    let last = "";
    await eventually(async () => {
      const res = await fetch(`${service.url}/readyz`);
      last = await res.text();
      return res.status === 200;
    }, "service ready").catch((err: Error) => {
      throw new Error(`${err.message}: ${last}`);
    });
  });
  after(async () => {
    proxy.stopCutting();
    await service.stop();
    pub.close();
    await proxy.close();
    await redis.stop();
  });

  it(`counts a stream exactly while ${CUTS} flush replies are cut after Redis ran them`, async () => {
    const sent = new Map<string, number>();
    let orders = 0;
    let i = 0;
    const sendSome = async (n: number) => {
      for (let k = 0; k < n; k++, i++) {
        const account = ACCOUNTS[i % ACCOUNTS.length] as string;
        if (i % 7 === 0) {
          await pub.send(order(account, i % 2 ? "paid" : "open"));
          orders++;
        } else {
          await pub.send(pageview(account, { unq: i % 3 === 0 ? "1" : "0" }));
          sent.set(account, (sent.get(account) ?? 0) + 1);
        }
      }
    };
    const streamUntil = async (done: () => Promise<boolean> | boolean, what: string) => {
      const deadline = Date.now() + 60_000;
      while (!(await done())) {
        assert.ok(Date.now() < deadline, `timed out streaming until ${what}`);
        await sendSome(20);
        await sleep(5);
      }
    };

    // 1. Each cut is followed by the client's resend of the same script, which gets through:
    //    Redis has run the chunk twice, and the guard must have made the second run a no-op.
    proxy.cutReplies(RESP_EVAL, CUTS, { letThrough: 1 });
    await streamUntil(() => proxy.cuts >= CUTS, `${CUTS} cuts`);

    // 2. The same reply is lost again and again, until the service gives up on that attempt
    //    and retries the batch itself (a new attempt with the same batch id).
    proxy.cutReplies(RESP_EVAL, Number.POSITIVE_INFINITY);
    await streamUntil(async () => (await metric(service.url, "stats_flush_failures_total")) > 0, "a failed flush");
    proxy.stopCutting();
    await sendSome(500);
    const total = i;

    await eventually(
      async () => (await metric(service.url, "stats_events_applied_total")) === total,
      `all ${total} events applied`,
      30_000,
    );
    const pageviews = [...sent.values()].reduce((a, b) => a + b, 0);
    for (const [account, n] of sent) {
      assert.equal(await trackTotal(redis.client, prefix, account), n, account);
    }
    assert.equal(await trackTotal(redis.client, prefix, "all"), pageviews, "all");
    // The rankings went in the same guarded flushes: exactly once too, at every level.
    for (const [account, n] of sent) {
      assert.deepEqual(await rankedTotals(redis.client, prefix, account), [n, n, n, n, n], `${account} ranked`);
    }
    const funnelYear = await redis.client.hvals(`${prefix}funnels:all:order:${new Date().getUTCFullYear()}`);
    assert.equal(
      funnelYear.reduce((a, n) => a + Number(n), 0),
      orders,
      "orders",
    );
    assert.equal(await metric(service.url, "stats_pending_events"), 0);

    // Redis ran the flush script at least once per cut more than it applied distinct chunks.
    const stats = await redis.client.info("commandstats");
    const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    let guards = 0;
    let cursor = "0";
    do {
      const [next, found] = await redis.client.scan(cursor, "MATCH", `${prefix}applied:*`, "COUNT", 1000);
      cursor = next;
      guards += found.length;
    } while (cursor !== "0");
    assert.ok(
      calls("eval") + calls("evalsha") >= guards + CUTS,
      `script runs ${calls("eval") + calls("evalsha")} vs ${guards} chunks applied`,
    );
    assert.ok(proxy.accepted > CUTS, `${proxy.accepted} connections for ${proxy.cuts} cuts`);
  });
});
