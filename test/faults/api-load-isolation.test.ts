/**
 * API work never costs ingest (issue 19, defect 1). The service runs as a real process in the
 * default role (`all`) against a real redis-server. A collector that never set a high-water mark
 * (libzmq's default, 1,000: past it a PUB drops) sends 2,000 events/s while two graphql-ws
 * connections (the graphql-ws client library) each flood 10,000 `series` subscribe+complete
 * pairs: MINUTE granularity, `last` up to 1,500, zones whose minutes and hours are odd. Every
 * event sent must be counted in Redis. When ingest shared the API's event loop, the loop stalled
 * on the window planning, ZeroMQ's queues overflowed, and most events were lost (76% in the issue).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "graphql-ws";
import { type ServerProcess, spawnServer, trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { type ChildPublisher, spawnChildPublisher } from "../helpers/publisher-child.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { connectFloodClient, floodSeries } from "../helpers/series-flood.js";
import { wiring } from "../helpers/service.js";

const RATE = 2_000;
/** 24,000 events: 88% of them were lost on the shared event loop (measured on the commit before the worker). */
const SECONDS = 12;
const PAIRS = 10_000;
const ACCOUNTS = ["iso-a", "iso-b", "iso-c"];

describe("faults: API load in the all role never costs ingest", () => {
  let redis: TestRedis;
  let pub: ChildPublisher;
  let server: ServerProcess;
  let prefix: string;
  const clients: Client[] = [];

  before(async () => {
    redis = await startRedis();
    pub = await spawnChildPublisher(); // libzmq's default send high-water mark: 1,000
    prefix = redis.prefix();
    server = await spawnServer([...wiring(redis.url, pub.endpoint, prefix), "--log-level", "warn"]);
    await pub.subscribedAfter(0);
    await eventually(async () => (await fetch(`${server.url}/readyz`)).status === 200, "service ready");
  });
  after(async () => {
    // The service first: its API may have minutes of flood still to work through.
    await server?.stop("SIGKILL");
    await Promise.all(clients.map((c) => c.dispose()));
    await pub?.kill();
    await redis?.stop();
  });

  it("counts every event sent while two graphql-ws connections flood series subscriptions", async (t) => {
    for (let i = 0; i < 2; i++) clients.push(await connectFloodClient(server.url));
    let streamDone = false;
    const streaming = pub.stream({ accounts: ACCOUNTS, rate: RATE, count: RATE * SECONDS }).finally(() => {
      streamDone = true;
    });
    const floods = clients.map((c, i) =>
      floodSeries(c, { pairs: PAIRS, seed: i * PAIRS, accounts: ACCOUNTS, stopped: () => streamDone }),
    );

    const result = await streaming;
    const pairsSent = await Promise.all(floods);
    assert.equal(result.sent, RATE * SECONDS);
    t.diagnostic(`sent ${result.sent} events at ${RATE}/s; subscribe+complete pairs sent: ${pairsSent.join(" + ")}`);

    // Read from Redis only: the service's HTTP answers once its API has worked through the flood.
    let counted = 0;
    const doneAt = performance.now();
    try {
      await eventually(
        async () => {
          counted = await trackTotal(redis.client, prefix, "all");
          return counted === result.sent;
        },
        `all ${result.sent} events counted`,
        60_000,
      );
    } finally {
      t.diagnostic(
        `counted ${counted} of ${result.sent} (${((100 * (result.sent - counted)) / result.sent).toFixed(1)}% lost), ` +
          `${Math.round(performance.now() - doneAt)} ms after the last was sent`,
      );
    }
    for (const account of ACCOUNTS) {
      assert.equal(await trackTotal(redis.client, prefix, account), result.byAccount[account], account);
    }
  });
});
