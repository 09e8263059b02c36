/**
 * Every GraphQL query through real HTTP against a real redis-server, with data ingested over a
 * real ZeroMQ socket (event times pinned with --time-source event): complete zero-filled
 * segments, funnels, listings, exact counts past 2^31, and every validation error.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { type Service, startService } from "../../src/commands/serve.js";
import { AccountsDocument, EventsDocument, FunnelDocument, StatsDocument, YearsDocument } from "../gql/graphql.js";
import { query, queryByGet } from "../helpers/graphql.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { metricValue, startTestService, testConfig, wiring } from "../helpers/service.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

const orderAt = (account: string, time: string, status?: string) =>
  `order ${JSON.stringify({ type: "order", time, data: { account, ...(status === undefined ? {} : { status }) } })}`;

describe("GraphQL queries over HTTP", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let service: Service;
  let prefix: string;
  let url: string;

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    prefix = redis.prefix();
    service = await startTestService([...wiring(redis.url, pub.endpoint, prefix), "--time-source", "event"]);
    url = service.url;
    await pub.waitForSubscribers();
    const stream = [
      pageview("acme", { unq: "1" }, "2013-09-05T16:07:00Z"),
      pageview("acme", { unq: "1" }, "2013-09-05T16:07:30Z"),
      pageview("acme", {}, "2013-09-05T16:59:59Z"),
      pageview("acme", {}, "2013-09-30T23:00:00Z"),
      pageview("acme", {}, "2013-02-28T10:00:00Z"),
      pageview("acme", {}, "2012-02-29T00:00:00Z"),
      pageview("beta", {}, "2013-09-05T16:07:00Z"),
      orderAt("acme", "2013-09-05T12:00:00Z", "checkout"),
      orderAt("acme", "2013-09-05T13:00:00Z", "checkout"),
      orderAt("acme", "2013-09-06T09:00:00Z", "closed"),
      orderAt("acme", "2013-10-01T09:00:00Z"),
    ];
    for (const m of stream) await pub.send(m);
    await eventually(async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return metricValue(text, "stats_events_applied_total") === stream.length;
    }, "every event applied");
  });
  after(async () => {
    await service.stop();
    pub.close();
    await redis.stop();
  });

  const stats = async (vars: { account?: string; year: number; month?: number; day?: number; hour?: number }) => {
    const r = await query(url, StatsDocument, { account: "acme", event: "pageview", ...vars });
    assert.equal(r.status, 200);
    assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
    assert.ok(r.body.data);
    return r.body.data.stats;
  };
  const nonZero = (segments: Array<{ key: number; count: number }>) =>
    Object.fromEntries(segments.filter((s) => s.count !== 0).map((s) => [s.key, s.count]));
  const keys = (segments: Array<{ key: number }>) => segments.map((s) => s.key);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it("stats of a year: 12 months, zero-filled, total = sum", async () => {
    const s = await stats({ year: 2013 });
    assert.equal(s.granularity, "MONTH");
    assert.deepEqual(keys(s.segments), range(1, 12));
    assert.deepEqual(nonZero(s.segments), { 2: 1, 9: 4 });
    assert.equal(s.total, 5);
    assert.deepEqual(
      [s.account, s.event, s.year, s.month, s.day, s.hour],
      ["acme", "pageview", 2013, null, null, null],
    );
  });

  it("stats of a month: every day of that month (30, 28, 29 in a leap year, 31)", async () => {
    const sep = await stats({ year: 2013, month: 9 });
    assert.equal(sep.granularity, "DAY");
    assert.deepEqual(keys(sep.segments), range(1, 30));
    assert.deepEqual(nonZero(sep.segments), { 5: 3, 30: 1 });
    assert.equal(sep.total, 4);
    assert.equal(sep.month, 9);
    assert.deepEqual(keys((await stats({ year: 2013, month: 2 })).segments), range(1, 28));
    const leap = await stats({ year: 2012, month: 2 });
    assert.deepEqual(keys(leap.segments), range(1, 29));
    assert.deepEqual(nonZero(leap.segments), { 29: 1 });
    assert.deepEqual(keys((await stats({ year: 2013, month: 1 })).segments), range(1, 31));
  });

  it("stats of a day: 24 hours; of an hour: 60 minutes", async () => {
    const day = await stats({ year: 2013, month: 9, day: 5 });
    assert.equal(day.granularity, "HOUR");
    assert.deepEqual(keys(day.segments), range(0, 23));
    assert.deepEqual(nonZero(day.segments), { 16: 3 });
    const hour = await stats({ year: 2013, month: 9, day: 5, hour: 16 });
    assert.equal(hour.granularity, "MINUTE");
    assert.deepEqual(keys(hour.segments), range(0, 59));
    assert.deepEqual(nonZero(hour.segments), { 7: 2, 59: 1 });
    assert.equal(hour.total, 3);
    assert.equal(hour.hour, 16);
  });

  it("stats of `unique`, of the rollup `all`, and of an account with no data (zeros, not an error)", async () => {
    const unique = await query(url, StatsDocument, { account: "acme", event: "unique", year: 2013, month: 9, day: 5 });
    assert.deepEqual(nonZero(unique.body.data?.stats.segments ?? []), { 16: 2 });
    const all = await stats({ account: "all", year: 2013, month: 9, day: 5, hour: 16 });
    assert.deepEqual(nonZero(all.segments), { 7: 3, 59: 1 });
    const none = await stats({ account: "nobody", year: 2013 });
    assert.equal(none.total, 0);
    assert.equal(none.segments.length, 12);
  });

  it("funnel: counts per status (missing status = unknown), sorted, for a year, month and day", async () => {
    const funnel = async (vars: { year: number; month?: number; day?: number }) => {
      const r = await query(url, FunnelDocument, { account: "acme", event: "order", ...vars });
      assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
      assert.ok(r.body.data);
      return r.body.data.funnel;
    };
    const year = await funnel({ year: 2013 });
    assert.deepEqual(year.statuses, [
      { status: "checkout", count: 2 },
      { status: "closed", count: 1 },
      { status: "unknown", count: 1 },
    ]);
    assert.equal(year.total, 4);
    const sep = await funnel({ year: 2013, month: 9 });
    assert.equal(sep.total, 3);
    const day = await funnel({ year: 2013, month: 9, day: 6 });
    assert.deepEqual(day.statuses, [{ status: "closed", count: 1 }]);
    assert.deepEqual([day.year, day.month, day.day], [2013, 9, 6]);
    assert.deepEqual((await funnel({ year: 2014 })).statuses, []);
  });

  it("accounts, events and years list time series and funnels together, sorted", async () => {
    assert.deepEqual((await query(url, AccountsDocument, {})).body.data?.accounts, ["acme", "all", "beta"]);
    assert.deepEqual((await query(url, EventsDocument, { account: "acme" })).body.data?.events, [
      "order",
      "pageview",
      "unique",
    ]);
    assert.deepEqual((await query(url, EventsDocument, { account: "nobody" })).body.data?.events, []);
    const years = await query(url, YearsDocument, { account: "acme", event: "pageview" });
    assert.deepEqual(years.body.data?.years, [2012, 2013]);
  });

  it("counts above 2^31 come back exact, up to 2^53-1", async () => {
    const key = `${prefix}track:big:pageview:2020`;
    const above31 = 2 ** 31 + 5;
    const rest = Number.MAX_SAFE_INTEGER - above31;
    await redis.client.hset(key, "3", String(above31), "4", String(rest));
    const r = await query(url, StatsDocument, { account: "big", event: "pageview", year: 2020 });
    assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
    assert.deepEqual(nonZero(r.body.data?.stats.segments ?? []), { 3: 2147483653, 4: rest });
    assert.equal(r.body.data?.stats.total, 9007199254740991);
    // On the wire: plain JSON numbers with every digit.
    assert.match(r.text, /"count":2147483653[,}]/);
    assert.match(r.text, /"total":9007199254740991[,}]/);
  });

  it("a count that cannot be exact (past 2^53-1) is an error, never a rounded number", async () => {
    await redis.client.hset(`${prefix}track:huge:pageview:2020`, "1", "9007199254740993");
    const r = await query(url, StatsDocument, { account: "huge", event: "pageview", year: 2020 });
    assert.equal(r.status, 200);
    assert.equal(r.body.data, null);
    assert.match(r.body.errors?.[0]?.message ?? "", /count \(9007199254740992\) is beyond 2\^53-1/);
    assert.equal(r.body.errors?.[0]?.extensions?.["code"], "COUNT_NOT_EXACT");
  });

  it("answers are kept until the next flush; writes the service cannot hear of show once the answer is 1 s old", async () => {
    const key = `${prefix}track:outside:pageview:2021`;
    const vars = { account: "outside", event: "pageview", year: 2021 };
    assert.equal((await queryByGet(url, StatsDocument, vars)).body.data?.stats.total, 0);
    // Asked a second time: the answer is kept (an answer asked for once is not).
    assert.equal((await queryByGet(url, StatsDocument, vars)).body.data?.stats.total, 0);
    // Another writer (the 2013 service, say) adds to a counter: no flush of ours announces it.
    await redis.client.hincrby(key, "1", 7);
    assert.equal((await queryByGet(url, StatsDocument, vars)).body.data?.stats.total, 0, "the kept answer");
    // It shows once the kept answer is older than the cache's bound (1 s: asserted on the cache's
    // own clock in test/unit/answer-cache.test.ts); the wait here only guards against a hang.
    await eventually(
      async () => (await queryByGet(url, StatsDocument, vars)).body.data?.stats.total === 7,
      "the new count, once the kept answer is too old",
    );
  });

  it("GET works as POST does (GraphQL over HTTP)", async () => {
    const r = await queryByGet(url, StatsDocument, { account: "acme", event: "pageview", year: 2013, month: 9 });
    assert.equal(r.status, 200);
    assert.equal(r.body.data?.stats.total, 4);
  });

  const badArguments: Array<[string, Parameters<typeof query<typeof StatsDocument>>[2], RegExp]> = [
    ["month 13", { account: "acme", event: "pageview", year: 2013, month: 13 }, /month must be 1-12, got 13/],
    ["month 0", { account: "acme", event: "pageview", year: 2013, month: 0 }, /month must be 1-12, got 0/],
    ["September 31", { account: "acme", event: "pageview", year: 2013, month: 9, day: 31 }, /day must be 1-30/],
    ["29 February 2013", { account: "acme", event: "pageview", year: 2013, month: 2, day: 29 }, /day must be 1-28/],
    ["day 0", { account: "acme", event: "pageview", year: 2013, month: 1, day: 0 }, /day must be 1-31/],
    ["hour 24", { account: "acme", event: "pageview", year: 2013, month: 9, day: 5, hour: 24 }, /hour must be 0-23/],
    ["hour -1", { account: "acme", event: "pageview", year: 2013, month: 9, day: 5, hour: -1 }, /hour must be 0-23/],
    ["day without month", { account: "acme", event: "pageview", year: 2013, day: 5 }, /day needs month/],
    ["hour without day", { account: "acme", event: "pageview", year: 2013, month: 9, hour: 5 }, /hour needs day/],
    ["year 1969", { account: "acme", event: "pageview", year: 1969 }, /year must be an integer from 1970 to 9999/],
    ["year 10000", { account: "acme", event: "pageview", year: 10000 }, /year must be/],
    ["account with a space", { account: "a b", event: "pageview", year: 2013 }, /account must be .*"a b"/],
    ["empty account", { account: "", event: "pageview", year: 2013 }, /account must be/],
    ["account of 129 characters", { account: "a".repeat(129), event: "pageview", year: 2013 }, /account must be/],
    ["event with a colon", { account: "acme", event: "page:view", year: 2013 }, /event must be .*"page:view"/],
  ];
  for (const [what, variables, message] of badArguments) {
    it(`stats: ${what} is BAD_USER_INPUT saying what is wrong`, async () => {
      const r = await query(url, StatsDocument, variables);
      assert.equal(r.status, 200);
      assert.equal(r.body.data, null);
      assert.equal(r.body.errors?.length, 1);
      assert.equal(r.body.errors?.[0]?.extensions?.["code"], "BAD_USER_INPUT");
      assert.match(r.body.errors?.[0]?.message ?? "", message);
    });
  }

  it("funnel, events and years validate their arguments the same way", async () => {
    const cases = [
      await query(url, FunnelDocument, { account: "acme", event: "order", year: 2013, month: 4, day: 31 }),
      await query(url, FunnelDocument, { account: "acme", event: "order", year: 2013, day: 1 }),
      await query(url, FunnelDocument, { account: "acme!", event: "order", year: 2013 }),
      await query(url, EventsDocument, { account: "no such/account" }),
      await query(url, YearsDocument, { account: "acme", event: "x".repeat(200) }),
    ];
    const messages = [/day must be 1-30 for 2013-4, got 31/, /day needs month/, /account must be/, /account/, /event/];
    cases.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(r.body.errors?.[0]?.extensions?.["code"], "BAD_USER_INPUT", `case ${i}`);
      assert.match(r.body.errors?.[0]?.message ?? "", messages[i] as RegExp);
    });
  });

  it("a malformed request is a GraphQL error (4xx for graphql-response+json clients), never a 500", async () => {
    const missingYear = JSON.stringify({ query: '{ stats(account: "acme", event: "pageview") { total } }' });
    for (const [accept, status] of [
      ["application/graphql-response+json", 400],
      ["application/json", 200],
    ] as const) {
      const res = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", accept },
        body: missingYear,
      });
      assert.equal(res.status, status, accept);
      const body = (await res.json()) as { errors: Array<{ message: string }> };
      assert.match(body.errors[0]?.message ?? "", /argument "year" of type "Int!" is required/);
    }
    const notJson = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    assert.equal(notJson.status, 400);
  });

  it("GraphiQL opens in a browser at /graphql with an example query", async () => {
    const res = await fetch(`${url}/graphql`, { headers: { accept: "text/html" } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    const html = await res.text();
    assert.match(html, /GraphiQL|graphiql/);
    assert.match(html, /stats\(account: \\?"all\\?", event: \\?"pageview\\?"/);
  });
});

describe("GraphQL: unexpected errors are masked for clients and logged", () => {
  let redis: TestRedis;
  let service: Service;
  const logLines: string[] = [];

  before(async () => {
    redis = await startRedis();
    const config = testConfig(["--redis", redis.url, "--role", "api", "--key-prefix", redis.prefix()]);
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        done();
      },
    });
    service = await startService(config, pino({ level: "error" }, sink), { defaultMetrics: false });
  });
  after(async () => {
    await service.stop();
    await redis.stop();
  });

  it("a store failure answers `Unexpected error.` without internals, and the log has the cause", async () => {
    await eventually(
      async () => (await query(service.url, AccountsDocument, {})).body.errors === undefined,
      "a first answer while Redis is up",
    );
    logLines.length = 0;
    await redis.kill();
    const r = await query(service.url, StatsDocument, { account: "acme", event: "pageview", year: 2013 });
    assert.equal(r.status, 200);
    assert.equal(r.body.data, null);
    assert.equal(r.body.errors?.[0]?.message, "Unexpected error.");
    assert.equal(r.body.errors?.[0]?.extensions?.["code"], "INTERNAL_SERVER_ERROR");
    assert.doesNotMatch(r.text, /redis|ECONNREFUSED|stream|writeable|stack/i);
    const logged = await eventually(
      () => logLines.find((l) => l.includes("GraphQL operation failed unexpectedly")),
      "the masked error in the log",
    );
    const entry = JSON.parse(logged ?? "{}") as { err?: { message?: string }; path?: unknown };
    assert.ok(entry.err?.message, "the log names the cause");
    assert.deepEqual(entry.path, ["stats"]);

    // Once Redis is back, so are the answers, and the live bus (its subscriber reconnects on its
    // own backoff, and the feed re-reads what it watches).
    await redis.restart();
    await eventually(
      async () => (await query(service.url, AccountsDocument, {})).body.data?.accounts !== undefined,
      "answers again after Redis is back",
    );
    await eventually(
      async () => metricValue(await (await fetch(`${service.url}/metrics`)).text(), "stats_live_resyncs_total") >= 1,
      "the live bus back after Redis is back",
    );
  });
});
