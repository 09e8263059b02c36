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
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { type ServerProcess, spawnServer, trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { type ChildPublisher, spawnChildPublisher } from "../helpers/publisher-child.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { wiring } from "../helpers/service.js";
import { wsUrl } from "./graphql-clients.js";

const RATE = 2_000;
const SECONDS = Number(process.env["ISOLATION_SECONDS"] ?? 12);
const PAIRS = 10_000;
/** Subscribes sent before their completes: well under --max-ws-operations (100). */
const BURST = 50;
const ACCOUNTS = ["iso-a", "iso-b", "iso-c"];
const ZONES = [
  "Asia/Kathmandu",
  "Australia/Lord_Howe",
  "Asia/Kolkata",
  "Australia/Eucla",
  "Pacific/Chatham",
  "America/St_Johns",
  "Asia/Tehran",
  "Pacific/Marquesas",
];
const SERIES = `subscription Flood($account: String!, $last: Int!, $timeZone: String!) {
  series(account: $account, event: "pageview", granularity: MINUTE, last: $last, timeZone: $timeZone) {
    total from to points { start local count }
  }
}`;

/** Sends `pairs` subscribe+complete pairs on `client`, `BURST` subscribes at a time. Resolves with the pairs sent. */
async function flood(client: Client, pairs: number, seed: number, stopped: () => boolean): Promise<number> {
  let sent = 0;
  while (sent < pairs && !stopped()) {
    const releases: Array<() => void> = [];
    for (let i = 0; i < BURST && sent < pairs; i++, sent++) {
      const n = seed + sent;
      const variables = {
        account: ACCOUNTS[n % ACCOUNTS.length],
        last: 1 + (n % 1_500),
        timeZone: ZONES[n % ZONES.length],
      };
      releases.push(
        client.subscribe({ query: SERIES, variables }, { next: () => {}, error: () => {}, complete: () => {} }),
      );
    }
    // The client sends a subscribe once its connection is there (after a promise turn); a release
    // in a later turn then sends the complete.
    await new Promise((r) => setImmediate(r));
    for (const release of releases) release();
  }
  return sent;
}

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
    for (let i = 0; i < 2; i++) {
      const client = createClient({ url: wsUrl(server.url), webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
      clients.push(client);
      await new Promise<void>((resolve, reject) => {
        client.on("connected", () => resolve());
        client.on("closed", (e) => reject(new Error(`graphql-ws closed: ${JSON.stringify(e)}`)));
      });
    }
    let streamDone = false;
    const streaming = pub.stream({ accounts: ACCOUNTS, rate: RATE, count: RATE * SECONDS }).finally(() => {
      streamDone = true;
    });
    const floods = clients.map((c, i) => flood(c, PAIRS, i * PAIRS, () => streamDone));

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
