/**
 * Bounded work per request (issue 19), one check per defect, each over the real service and real
 * clients:
 * - a window's points are charged before it is planned, whatever is selected: `{ total }` alone
 *   over --max-query-cost is refused, and nothing was planned or kept for it;
 * - zone names that differ only in case are one zone: one kept plan, one canonical `timeZone`;
 * - a graphql-ws connection flooding subscribe+complete gets RATE_LIMITED while another client
 *   is served; an operation completed before it ran is never planned;
 * - the memory budget: past --max-memory, planning a window, a new live window and an uncached
 *   REST read are refused with a clear error (MEMORY_EXHAUSTED, 503), cheap cached work is not;
 *   GraphQL's and REST's refusals are counted, each under its own `what`, and logged;
 * - with introspection off no error hints at an enum value (literal or variable);
 * - a WebSocket cut by the ping timeout is counted and logged;
 * - `to: 9999-12-01T00:00Z` is refused, as the message's 9999-11-30 says.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import WebSocket from "ws";
import { type Service, startService } from "../../src/commands/serve.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { metricValue, startTestService, testConfig } from "../helpers/service.js";
import { startPublisher, type TestPublisher } from "../helpers/zmq.js";
import { openRawSse, openRawWs, overWs, postJson, type Result, wsUrl } from "./graphql-clients.js";

const errorText = (r: Result) => (r.errors ?? []).map((e) => e.message).join("; ");
const codeOf = (r: Result) => r.errors?.[0]?.extensions?.["code"];
const metrics = async (s: Service) => (await fetch(`${s.url}/metrics`)).text();
const series = (args: string, fields = "total") =>
  `{ series(account: "acme", event: "pageview", granularity: HOUR, ${args}) { ${fields} } }`;

describe("bounded work per request", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  /** A small cost limit, introspection off, the default operation rate. */
  let svc: Service;
  /** A memory budget of one byte: always reached. Its warnings are kept in `fullLog`. */
  let full: Service;
  const fullLog: Array<{ msg: string; what?: string }> = [];
  /** A burst of 4 operations (twice --max-ws-operations), then one a second. */
  let slow: Service;

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    const common = ["--redis", redis.url, "--zmq", pub.endpoint];
    svc = await startTestService([
      ...common,
      "--key-prefix",
      redis.prefix(),
      "--max-query-cost",
      "600",
      "--introspection=false",
    ]);
    full = await startService(
      testConfig([...common, "--key-prefix", redis.prefix(), "--max-memory", "1"]),
      pino({ level: "warn" }, { write: (line: string) => void fullLog.push(JSON.parse(line)) }),
      { defaultMetrics: false },
    );
    slow = await startTestService([
      ...common,
      "--key-prefix",
      redis.prefix(),
      "--max-ws-operations",
      "2",
      "--max-operation-rate",
      "1",
    ]);
  });
  after(async () => {
    await svc?.stop();
    await full?.stop();
    await slow?.stop();
    pub?.close();
    await redis?.stop();
  });

  it("charges a window's points before planning it, even with only total selected", async () => {
    const plans = () => metrics(svc).then((t) => metricValue(t, 'stats_cache_entries{cache="plans"}'));
    const before = await plans();
    const over = await postJson(svc.url, { query: series(`timeZone: "Asia/Kolkata", last: 700`) });
    assert.equal(over.status, 200, over.text);
    assert.equal(over.body.data?.["series"] ?? null, null);
    assert.equal(codeOf(over.body), "BAD_USER_INPUT");
    assert.match(errorText(over.body), /Query Cost limit of 600 exceeded.*700 points/);
    // `previous` doubles the points: 2 × 350 is over too.
    const twice = await postJson(svc.url, {
      query: series(`timeZone: "Asia/Kolkata", last: 350`, "total previous { total }"),
    });
    assert.match(errorText(twice.body), /Query Cost limit of 600 exceeded/);
    // Under the limit: answered, and its plan is kept (the marker that the refused ones were not).
    const under = await postJson(svc.url, { query: series(`timeZone: "Asia/Kolkata", last: 500`) });
    assert.equal(under.body.errors, undefined, under.text);
    assert.equal(await plans(), before + 1, "only the answered window's plan was kept");
  });

  it("zone names that differ only in case are one zone: one plan, one timeZone as the tz database writes it", async () => {
    const text0 = await metrics(svc);
    const plans0 = metricValue(text0, 'stats_cache_entries{cache="plans"}');
    // As the tz database writes it, whatever the spelling (ICU's own name for it is the older Asia/Katmandu).
    const canonical = "Asia/Kathmandu";
    const spellings = ["Asia/Kathmandu", "asia/kathmandu", "ASIA/KATHMANDU", "aSiA/kAtHmAnDu"];
    for (let i = 0; i < 200; i++) {
      const zone = [...(spellings[i % spellings.length] as string)]
        .map((c, j) => ((i >> (j % 8)) & 1 ? c.toUpperCase() : c.toLowerCase()))
        .join("");
      const r = await postJson(svc.url, { query: series(`timeZone: "${zone}", last: 48`, "timeZone total") });
      assert.equal(r.body.errors, undefined, r.text);
      assert.equal((r.body.data?.["series"] as { timeZone?: string } | undefined)?.timeZone, canonical, zone);
    }
    const text1 = await metrics(svc);
    assert.equal(metricValue(text1, 'stats_cache_entries{cache="plans"}'), plans0 + 1, "one plan for every spelling");
    // One zone more at most (Kathmandu, if no test asked it before), not one per spelling.
    const zones = (t: string) => metricValue(t, 'stats_cache_entries{cache="zones"}');
    assert.ok(zones(text1) >= 1 && zones(text1) <= zones(text0) + 1, `${zones(text0)} → ${zones(text1)} zones`);
  });

  it("a subscribe+complete flood on one connection gets RATE_LIMITED; another client is still served", async () => {
    const flood = await openRawWs(svc.url);
    flood.send({ type: "connection_init" });
    await flood.next("connection_ack");
    const PAIRS = 1_000;
    for (let i = 0; i < PAIRS; i++) {
      flood.send({
        id: `s${i}`,
        type: "subscribe",
        payload: {
          query: `subscription { series(account: "acme", event: "pageview", granularity: MINUTE, timeZone: "Asia/Kolkata", last: ${100 + (i % 400)}) { total } }`,
        },
      });
      flood.send({ id: `s${i}`, type: "complete" });
    }
    // An error for an operation already completed is not sent (graphql-ws): one left running shows it.
    flood.send({
      id: "last",
      type: "subscribe",
      payload: { query: 'subscription { increments(account: "acme") { count } }' },
    });
    const refused = await flood.next("error", "last");
    const errors = refused.payload as Array<{ message: string; extensions?: { code?: string } }>;
    assert.equal(errors[0]?.extensions?.code, "RATE_LIMITED");
    assert.match(errors[0]?.message ?? "", /too many operations started on this connection.*--max-operation-rate/);
    // Meanwhile another client, on its own connection, is answered.
    const other = await overWs(svc.url, "{ accounts }");
    assert.equal(other.errors, undefined, errorText(other));
    flood.socket.close();
    assert.ok(
      metricValue(await metrics(svc), 'stats_graphql_operations_refused_total{transport="ws",reason="rate_limited"}') >
        0,
    );
  });

  it("SSE subscriptions opened and closed too fast from one address get a 429 RATE_LIMITED", async () => {
    const query = `subscription { series(account: "acme", event: "pageview", granularity: DAY, last: 2) { total } }`;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const sse = openRawSse(slow.url, query);
      statuses.push((await sse.response).statusCode ?? 0);
      sse.close();
    }
    const third = await fetch(`${slow.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query }),
    });
    statuses.push(third.status);
    const refusal = await third.text();
    assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
    const body = JSON.parse(refusal) as Result;
    assert.equal(codeOf(body), "RATE_LIMITED");
    assert.match(errorText(body), /--max-operation-rate/);
    // A plain query from the same address is not an SSE subscription: answered.
    const q = await postJson(slow.url, { query: "{ accounts }" });
    assert.equal(q.body.errors, undefined, q.text);
  });

  it("an operation completed before it ran is not planned", async () => {
    const plans = () => metrics(svc).then((t) => metricValue(t, 'stats_cache_entries{cache="plans"}'));
    const before = await plans();
    const ws = await openRawWs(svc.url);
    ws.send({ type: "connection_init" });
    await ws.next("connection_ack");
    // Subscribe and complete in one write: the complete is read before the operation runs.
    ws.socket.send(
      JSON.stringify({
        id: "gone",
        type: "subscribe",
        payload: {
          query: `subscription { series(account: "acme", event: "pageview", granularity: HOUR, timeZone: "Australia/Adelaide", last: 333) { total } }`,
        },
      }),
    );
    ws.socket.send(JSON.stringify({ id: "gone", type: "complete" }));
    // The marker: a later operation on the same connection is answered.
    ws.send({ id: "after", type: "subscribe", payload: { query: "{ accounts }" } });
    await ws.next("complete", "after");
    assert.match(await metrics(svc), /^stats_cache_entries\{cache="plans"\} \d+$/m, "kept plans are reported");
    assert.equal(await plans(), before, "nothing planned for the completed operation");
    assert.equal(
      ws.messages.some((m) => m.id === "gone" && m.type === "next"),
      false,
    );
    ws.socket.close();
  });

  it("completing an operation frees its slot at once, even while its window is being planned", async () => {
    // --max-ws-operations 2: if the completed one still held its slot, the third would be refused.
    const ws = await openRawWs(slow.url);
    ws.send({ type: "connection_init" });
    await ws.next("connection_ack");
    const sub = (id: string, last: number) =>
      JSON.stringify({
        id,
        type: "subscribe",
        payload: {
          query: `subscription { series(account: "acme", event: "pageview", granularity: HOUR, timeZone: "Asia/Kolkata", last: ${last}) { total } }`,
        },
      });
    ws.socket.send(sub("a", 600));
    ws.socket.send(JSON.stringify({ id: "a", type: "complete" }));
    ws.socket.send(sub("b", 601));
    ws.socket.send(sub("c", 602));
    await ws.next("next", "b");
    await ws.next("next", "c");
    assert.equal(
      ws.messages.some((m) => m.type === "error"),
      false,
      JSON.stringify(ws.messages.filter((m) => m.type === "error")),
    );
    ws.socket.close();
  });

  // The timeout guards a hang only: a live subscription let in past the budget waits for a flush.
  it("past the memory budget new expensive work is refused with a clear error, cheap work is answered", {
    timeout: 60_000,
  }, async () => {
    const refusals = (text: string, what: string) => metricValue(text, `stats_memory_refusals_total{what="${what}"}`);
    const r = await postJson(full.url, { query: series(`timeZone: "Asia/Kolkata", last: 10`) });
    assert.equal(codeOf(r.body), "MEMORY_EXHAUSTED", r.text);
    assert.match(errorText(r.body), /memory budget .*--max-memory.*refused/);
    const live = await overWs(
      full.url,
      `subscription { series(account: "acme", event: "pageview", granularity: DAY, last: 3) { total } }`,
    );
    assert.equal(codeOf(live), "MEMORY_EXHAUSTED", errorText(live));
    const year = new Date().getUTCFullYear();
    const stats = await overWs(
      full.url,
      `subscription { stats(account: "acme", event: "pageview", year: ${year}) { total } }`,
    );
    assert.equal(codeOf(stats), "MEMORY_EXHAUSTED", errorText(stats));
    const before = await metrics(full);
    // GraphQL's refusals, counted under their own kinds (REST's have not happened yet).
    assert.ok(refusals(before, "series_plan") >= 1, before);
    assert.ok(refusals(before, "live_subscription") >= 1, before);
    assert.equal(refusals(before, "rest_read"), 0);

    const rest = await fetch(`${full.url}/api/stats/track/acme/pageview/2026`);
    assert.equal(rest.status, 503);
    assert.equal(rest.headers.get("retry-after"), "1");
    assert.match(await rest.text(), /memory budget .*--max-memory.*a REST read was refused/);
    const cheap = await postJson(full.url, { query: "{ accounts }" });
    assert.equal(cheap.body.errors, undefined, cheap.text);
    // The REST refusal is counted once, under its own kind; GraphQL's counts are untouched by it.
    const text = await metrics(full);
    assert.equal(refusals(text, "rest_read"), 1, text);
    assert.equal(refusals(text, "series_plan"), refusals(before, "series_plan"));
    assert.equal(refusals(text, "live_subscription"), refusals(before, "live_subscription"));
    assert.equal(metricValue(text, "stats_memory_budget_bytes"), 1);
    // Both mounts' refusals are logged, the same way (four so far: under the five a 10 s window).
    const refusedLines = () =>
      fullLog.filter((l) => l.msg === "refused work: the heap is at its memory budget (--max-memory)");
    await eventually(() => refusedLines().some((l) => l.what === "a REST read"), "the REST refusal logged");
    assert.ok(
      refusedLines().some((l) => l.what?.startsWith("planning")),
      JSON.stringify(fullLog),
    );
    // Every kind of new live subscription is refused: increments and top too (they were let in).
    for (const doc of [
      `subscription { increments { count } }`,
      `subscription { top(event: "pageview", granularity: DAY, last: 3) { total } }`,
    ]) {
      const refused = await overWs(full.url, doc);
      assert.equal(codeOf(refused), "MEMORY_EXHAUSTED", `${doc}: ${errorText(refused)}`);
    }
  });

  it("with introspection off, enum values are not suggested (literal or variable)", async () => {
    const literal = await postJson(svc.url, {
      query: `{ series(account: "acme", event: "pageview", granularity: HOURS, last: 2) { total } }`,
    });
    assert.match(errorText(literal.body), /HOURS/);
    assert.doesNotMatch(errorText(literal.body), /Did you mean|"HOUR"/);
    const variable = await postJson(svc.url, {
      query: `query ($g: Granularity!) { series(account: "acme", event: "pageview", granularity: $g, last: 2) { total } }`,
      variables: { g: "HOURS" },
    });
    assert.match(errorText(variable.body), /HOURS/);
    assert.doesNotMatch(errorText(variable.body), /Did you mean|"HOUR"/);
    const ws = await overWs(
      svc.url,
      `{ series(account: "acme", event: "pageview", granularity: HOURS, last: 2) { total } }`,
    );
    assert.doesNotMatch(errorText(ws), /Did you mean|"HOUR"/);
  });

  it("a window's bounds are exact: to 9999-11-30T23:59Z is answered, 9999-12-01T00:00Z refused", async () => {
    const ask = (to: string) =>
      postJson(svc.url, {
        query: `{ series(account: "acme", event: "pageview", granularity: DAY, from: "9999-11-29T00:00:00Z", to: "${to}") { total } }`,
      });
    const inside = await ask("9999-11-30T23:59:00Z");
    assert.equal(inside.body.errors, undefined, inside.text);
    const outside = await ask("9999-12-01T00:00:00Z");
    assert.equal(codeOf(outside.body), "BAD_USER_INPUT");
    assert.match(errorText(outside.body), /to must be between 1970-01-01T00:00Z and 9999-11-30T23:59:59\.999Z/);
  });

  it("a WebSocket cut by the ping timeout is counted (reason ping_timeout)", { timeout: 60_000 }, async () => {
    const dropped = () =>
      metrics(svc).then((t) =>
        metricValue(t, 'stats_graphql_subscribers_dropped_total{transport="ws",reason="ping_timeout"}'),
      );
    const before = await dropped();
    // A client that never answers pings (ws answers them by itself unless told not to).
    const socket = new WebSocket(wsUrl(svc.url), "graphql-transport-ws", { autoPong: false });
    const closed = new Promise<number>((resolve) => socket.once("close", (code: number) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    socket.send(JSON.stringify({ type: "connection_init" }));
    // Two keep-alive intervals (12 s each): cut when the first ping goes unanswered.
    await closed;
    await eventually(async () => (await dropped()) === before + 1, "the cut counted", 10_000);
  });
});
