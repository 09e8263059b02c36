/**
 * Defect 6 of issue 8: nothing bounded cardinality. A flood of new accounts (50,000) and one funnel
 * with 20,000 distinct statuses: all counted; metrics say how many accounts, event types and
 * statuses exist; the GraphQL listings come a page at a time (default 1,000, `after`, `prefix`),
 * `funnel.statuses` is capped per answer (`first`, default 1,000, with `statusCount`); and repeating
 * a listing — 10 concurrent REST listings and GraphQL pages — reads the index from Redis once,
 * not once per request (Redis's own command statistics show it).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { metric, type ProcessRig, type ServerProcess, startProcessRig, trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import type { TestRedis } from "../helpers/redis.js";
import { order, pageview, type TestPublisher } from "../helpers/zmq.js";

const ACCOUNTS = 50_000;
const STATUSES = 20_000;

interface Gql<D> {
  data?: D;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

describe("faults: cardinality floods", () => {
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
    await rig?.stop();
  });

  const gql = async <D>(query: string, variables: Record<string, unknown> = {}): Promise<Gql<D>> => {
    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as Gql<D>;
  };
  const name = (i: number) => `acct${String(i).padStart(6, "0")}`;

  it(`counts ${ACCOUNTS} new accounts and ${STATUSES} statuses, and says how many exist`, async (t) => {
    for (let i = 0; i < ACCOUNTS; i++) await pub.send(pageview(name(i)));
    for (let i = 0; i < STATUSES; i++) await pub.send(order("shop", `st${i}`));
    await eventually(
      async () => (await metric(server.url, "stats_events_applied_total")) === ACCOUNTS + STATUSES,
      "all applied",
      60_000,
    );
    assert.equal(await trackTotal(redis.client, prefix, "all"), ACCOUNTS);
    // The cardinality gauges are read at most every 10 s: poll until they show the flood.
    await eventually(
      async () => (await metric(server.url, 'stats_accounts{kind="track"}')) === ACCOUNTS + 1,
      "stats_accounts",
      20_000,
    );
    assert.equal(await metric(server.url, 'stats_accounts{kind="funnels"}'), 2);
    assert.equal(await metric(server.url, 'stats_event_types{kind="track"}'), 1);
    assert.equal(await metric(server.url, 'stats_funnel_statuses{event="order"}'), STATUSES);
    const status = readFileSync(`/proc/${server.proc.pid}/status`, "utf8");
    const peak = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
    t.diagnostic(
      `${ACCOUNTS} accounts + ${STATUSES} statuses counted; stats_accounts ${ACCOUNTS + 1}, ` +
        `stats_funnel_statuses ${STATUSES}; service peak RSS ${peak.toFixed(0)} MB`,
    );
  });

  it("pages the GraphQL listings and caps funnel statuses per answer", async (t) => {
    const first = await gql<{ accounts: string[] }>("{ accounts }");
    assert.equal(first.data?.accounts.length, 1_000, "the default page");
    assert.equal(first.data?.accounts[0], name(0));

    let after: string | undefined;
    const seen: string[] = [];
    let pages = 0;
    for (;;) {
      const r = await gql<{ accounts: string[] }>("query($after: String) { accounts(first: 10000, after: $after) }", {
        after,
      });
      const page = r.data?.accounts ?? [];
      if (page.length === 0) break;
      pages++;
      seen.push(...page);
      after = page.at(-1);
    }
    // Track and funnel accounts together: the flood, `all`, and the funnel's `shop`.
    assert.equal(seen.length, ACCOUNTS + 2, "every account once");
    assert.equal(new Set(seen).size, seen.length);
    const prefixed = await gql<{ accounts: string[] }>('{ accounts(prefix: "acct0001") }');
    assert.deepEqual(
      prefixed.data?.accounts,
      Array.from({ length: 100 }, (_, i) => name(100 + i)),
    );
    const events = await gql<{ events: string[] }>('{ events(account: "all", first: 1) }');
    assert.deepEqual(events.data?.events, ["order"]);
    const next = await gql<{ events: string[] }>('{ events(account: "all", first: 1, after: "order") }');
    assert.deepEqual(next.data?.events, ["pageview"]);

    for (const bad of ["{ accounts(first: 0) }", "{ accounts(first: 10001) }", '{ accounts(after: "a:b") }']) {
      const r = await gql(bad);
      assert.equal(r.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", bad);
    }

    const year = new Date().getUTCFullYear();
    const funnel = await gql<{ funnel: { total: number; statusCount: number; statuses: Array<{ count: number }> } }>(
      `{ funnel(account: "shop", event: "order", year: ${year}) { total statusCount statuses { status count } } }`,
    );
    assert.equal(funnel.data?.funnel.statusCount, STATUSES);
    assert.equal(funnel.data?.funnel.statuses.length, 1_000);
    assert.equal(funnel.data?.funnel.total, STATUSES);
    const tooMany = await gql(
      `{ funnel(account: "shop", event: "order", year: ${year}) { statuses(first: 20000) { status } } }`,
    );
    assert.equal(tooMany.errors?.[0]?.extensions?.code, "BAD_USER_INPUT");
    const bytes = JSON.stringify(funnel).length;
    t.diagnostic(
      `${ACCOUNTS + 2} accounts in ${pages} pages of ≤10,000; funnel of ${STATUSES} statuses answered with 1,000 (${bytes} bytes)`,
    );
  });

  it("repeats listings without reading the index again per request", async (t) => {
    const smembers = async () => {
      const info = await redis.client.info("commandstats");
      return Number(/^cmdstat_smembers:calls=(\d+)/m.exec(info)?.[1] ?? 0);
    };
    await redis.client.config("RESETSTAT");
    const started = performance.now();
    const rest = await Promise.all(
      Array.from({ length: 10 }, () => fetch(`${server.url}/api/stats/track`).then((r) => r.text())),
    );
    const restMs = performance.now() - started;
    const pages = await Promise.all(
      Array.from({ length: 10 }, (_, i) => gql<{ accounts: string[] }>(`{ accounts(prefix: "acct00${i}") }`)),
    );
    const reads = await smembers();
    for (const body of rest) {
      assert.equal((JSON.parse(body) as { links: string[] }).links.length, ACCOUNTS + 1);
    }
    for (const p of pages) assert.equal(p.data?.accounts.length, 1_000);
    t.diagnostic(
      `10 concurrent REST listings of ${ACCOUNTS + 1} accounts (${rest[0]?.length} bytes each) in ${restMs.toFixed(0)} ms ` +
        `and 10 GraphQL pages: ${reads} SMEMBERS in Redis`,
    );
    // Both kinds' account indexes, read once each per second at most: a handful, not one per request.
    assert.ok(reads <= 6, `${reads} SMEMBERS for 20 listing requests`);
  });
});
