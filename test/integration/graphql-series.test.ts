/**
 * series and funnelSeries (docs/contract.md §7) through real HTTP against a real redis-server, with events
 * ingested over a real ZeroMQ socket and pinned with --time-source event: around the 2026 Santiago
 * and New York DST changes, month ends, and in a half-hour zone within the minute retention.
 * Every point of every answer is checked against a count of the events sent, and its segments
 * against the minute-by-minute reference.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import type { Granularity } from "../../src/domain/segments.js";
import { FunnelSeriesDocument, SeriesDocument, SeriesWithPreviousDocument } from "../gql/graphql.js";
import { query } from "../helpers/graphql.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { metricValue, type ServiceRig, startServiceRig, startTestService } from "../helpers/service.js";
import { referenceRange } from "../helpers/time-reference.js";
import { pageview } from "../helpers/zmq.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Event instants every `step` from `from` for `span`, off the minute so each lands mid-minute. */
function every(from: string, span: number, step: number): number[] {
  const out: number[] = [];
  for (let t = Date.parse(from) + 17_000; t < Date.parse(from) + span; t += step) out.push(t);
  return out;
}

const NOW = Date.now();
const pageviews = [
  ...every("2026-04-03T00:00:00Z", 4 * DAY, 37 * MINUTE), // Santiago -03 -> -04 on 2026-04-05T03:00Z
  ...every("2026-09-04T00:00:00Z", 4 * DAY, 41 * MINUTE), // Santiago -04 -> -03 on 2026-09-06T04:00Z
  ...every("2026-03-07T00:00:00Z", 3 * DAY, 53 * MINUTE), // New York, 8 March
  ...every("2026-10-31T00:00:00Z", 3 * DAY, 53 * MINUTE), // New York, 1 November
  ...every("2026-01-31T12:00:00Z", DAY, 31 * MINUTE), // a month end
  ...every("2026-02-28T12:00:00Z", DAY, 31 * MINUTE), // February's end
  ...every(new Date(Math.floor((NOW - 3 * DAY) / MINUTE) * MINUTE).toISOString(), 3 * DAY, 29 * MINUTE), // Kolkata, recent
  Date.parse("2026-04-05T02:30:00Z"), // the first 23:30 in Santiago (-03)
  Date.parse("2026-04-05T03:30:00Z"), // the second 23:30 (-04)
  Date.parse("2026-04-05T03:30:40Z"),
];
const ORDER_STATUSES = ["paid", "shipped", "unknown"];
const orders = every("2026-04-04T00:00:00Z", 2 * DAY, 43 * MINUTE).map((t, i) => ({
  t,
  status: ORDER_STATUSES[i % 3] as string,
}));

interface Point {
  start: string;
  local: string;
  count: number;
}

/** Asserts an answer's segments are the reference's and each count is the events inside it. */
function checkSeries(
  s: { from: string; to: string; total: number; points: Point[]; timeZone: string; granularity: string },
  events: readonly number[],
) {
  const from = Date.parse(s.from);
  const to = Date.parse(s.to);
  const ref = referenceRange(s.timeZone, s.granularity as Granularity, from, to);
  assert.deepEqual(
    s.points.map((p) => [p.start, p.local]),
    ref.map((r) => [new Date(r.start).toISOString(), r.local]),
    "segments",
  );
  const expected = ref.map((r) => events.filter((t) => r.start <= t && t < r.end).length);
  assert.deepEqual(
    s.points.map((p) => p.count),
    expected,
    "counts",
  );
  assert.equal(
    s.total,
    expected.reduce((a, b) => a + b, 0),
  );
}

describe("GraphQL series and funnelSeries over a real Redis", () => {
  let rig: ServiceRig;
  let url: string;

  before(async () => {
    rig = await startServiceRig(["--time-source", "event", "--max-series-points", "400"]);
    const { pub } = rig;
    url = rig.service.url;
    for (const t of pageviews) await pub.send(pageview("acme", {}, new Date(t).toISOString()));
    for (const o of orders) {
      const data = { account: "acme", ...(o.status === "unknown" ? {} : { status: o.status }) };
      await pub.send(`order ${JSON.stringify({ type: "order", time: new Date(o.t).toISOString(), data })}`);
    }
    const sent = pageviews.length + orders.length;
    await eventually(async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return metricValue(text, "stats_events_applied_total") === sent;
    }, "every event applied");
  });
  after(() => rig?.stop());

  type Vars = { granularity: Granularity; timeZone?: string; from?: string; to?: string; last?: number };
  const series = async (vars: Vars) => {
    const r = await query(url, SeriesDocument, { account: "acme", event: "pageview", ...vars });
    assert.equal(r.status, 200);
    assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
    assert.ok(r.body.data);
    return r.body.data.series;
  };
  const hoursOf = (p: { start: string }, next: { start: string } | string) =>
    (Date.parse(typeof next === "string" ? next : next.start) - Date.parse(p.start)) / HOUR;

  it("Santiago days around the April change: 4 April has 25 hours, every count exact", async () => {
    const s = await series({
      granularity: "DAY",
      timeZone: "America/Santiago",
      from: "2026-04-03T12:00:00Z",
      to: "2026-04-06T12:00:00Z",
    });
    assert.deepEqual(
      s.points.map((p) => p.local),
      ["2026-04-03", "2026-04-04", "2026-04-05", "2026-04-06"],
    );
    assert.equal(s.from, "2026-04-03T03:00:00.000Z");
    assert.equal(s.to, "2026-04-07T04:00:00.000Z");
    assert.equal(hoursOf(s.points[1] as Point, s.points[2] as Point), 25);
    checkSeries(s, pageviews);
  });

  it("Santiago hours on 4-5 April: the repeated 23:00 appears twice, with different starts", async () => {
    const s = await series({
      granularity: "HOUR",
      timeZone: "America/Santiago",
      from: "2026-04-05T01:00:00Z",
      to: "2026-04-05T05:00:00Z",
    });
    assert.deepEqual(
      s.points.map((p) => [p.start, p.local]),
      [
        ["2026-04-05T01:00:00.000Z", "2026-04-04T22:00-03:00"],
        ["2026-04-05T02:00:00.000Z", "2026-04-04T23:00-03:00"],
        ["2026-04-05T03:00:00.000Z", "2026-04-04T23:00-04:00"],
        ["2026-04-05T04:00:00.000Z", "2026-04-05T00:00-04:00"],
      ],
    );
    checkSeries(s, pageviews);
  });

  it("Santiago days around the September change: 6 September has 23 hours", async () => {
    const s = await series({
      granularity: "DAY",
      timeZone: "America/Santiago",
      from: "2026-09-04T12:00:00Z",
      to: "2026-09-07T12:00:00Z",
    });
    const i = s.points.findIndex((p) => p.local === "2026-09-06");
    assert.equal(hoursOf(s.points[i] as Point, s.points[i + 1] ?? s.to), 23);
    checkSeries(s, pageviews);
  });

  it("New York: 8 March 2026 has 23 hours, 1 November 25; hours across both changes are exact", async () => {
    const march = await series({
      granularity: "DAY",
      timeZone: "America/New_York",
      from: "2026-03-07T12:00:00Z",
      to: "2026-03-09T12:00:00Z",
    });
    const m8 = march.points.findIndex((p) => p.local === "2026-03-08");
    assert.equal(hoursOf(march.points[m8] as Point, march.points[m8 + 1] as Point), 23);
    checkSeries(march, pageviews);
    const nov = await series({
      granularity: "DAY",
      timeZone: "America/New_York",
      from: "2026-10-31T12:00:00Z",
      to: "2026-11-02T12:00:00Z",
    });
    const n1 = nov.points.findIndex((p) => p.local === "2026-11-01");
    assert.equal(hoursOf(nov.points[n1] as Point, nov.points[n1 + 1] as Point), 25);
    checkSeries(nov, pageviews);
    const hours = await series({
      granularity: "HOUR",
      timeZone: "America/New_York",
      from: "2026-11-01T00:00:00Z",
      to: "2026-11-02T00:00:00Z",
    });
    assert.equal(hours.points.length, 24);
    checkSeries(hours, pageviews);
  });

  it("month ends and months, in UTC and in Santiago", async () => {
    checkSeries(
      await series({ granularity: "DAY", from: "2026-01-30T00:00:00Z", to: "2026-02-02T00:00:00Z" }),
      pageviews,
    );
    checkSeries(
      await series({ granularity: "HOUR", from: "2026-02-28T20:00:00Z", to: "2026-03-01T04:00:00Z" }),
      pageviews,
    );
    const months = await series({
      granularity: "MONTH",
      timeZone: "America/Santiago",
      from: "2026-01-15T00:00:00Z",
      to: "2026-04-15T00:00:00Z",
    });
    assert.deepEqual(
      months.points.map((p) => p.local),
      ["2026-01", "2026-02", "2026-03", "2026-04"],
    );
    checkSeries(months, pageviews);
  });

  it("a half-hour zone within the minute retention: Kolkata days and hours are exact", async () => {
    const days = await series({ granularity: "DAY", timeZone: "Asia/Kolkata", last: 4 });
    assert.ok(
      days.points.every((p) => p.start.endsWith(":30:00.000Z")),
      "Kolkata days start at :30 UTC",
    );
    checkSeries(days, pageviews);
    assert.ok(days.total > 100, `${days.total} events in the last 4 Kolkata days`);
    checkSeries(await series({ granularity: "HOUR", timeZone: "Asia/Kolkata", last: 80 }), pageviews);
    checkSeries(await series({ granularity: "DAY", timeZone: "Asia/Kathmandu", last: 3 }), pageviews);
  });

  it("previous is the same number of segments just before, exact too", async () => {
    const r = await query(url, SeriesWithPreviousDocument, {
      account: "acme",
      event: "pageview",
      granularity: "DAY",
      timeZone: "America/Santiago",
      from: "2026-04-05T12:00:00Z",
      to: "2026-04-06T12:00:00Z",
    });
    assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
    const s = r.body.data?.series;
    assert.ok(s?.previous);
    assert.deepEqual(
      s.previous.points.map((p) => p.local),
      ["2026-04-03", "2026-04-04"],
    );
    assert.equal(s.previous.to, s.from);
    checkSeries(s, pageviews);
    checkSeries(s.previous, pageviews);
    assert.ok(s.previous.total > 0 && s.total > 0);
  });

  it("funnelSeries: statuses per Santiago hour and day, exact against the orders sent", async () => {
    for (const granularity of ["HOUR", "DAY"] as const) {
      const r = await query(url, FunnelSeriesDocument, {
        account: "acme",
        event: "order",
        granularity,
        timeZone: "America/Santiago",
        from: "2026-04-04T02:00:00Z",
        to: "2026-04-06T02:00:00Z",
      });
      assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
      const f = r.body.data?.funnelSeries;
      assert.ok(f);
      const ends = [...f.points.slice(1).map((p) => Date.parse(p.start)), Date.parse(f.to)];
      f.points.forEach((p, i) => {
        const inside = orders.filter((o) => Date.parse(p.start) <= o.t && o.t < (ends[i] as number));
        const expected = ORDER_STATUSES.map((status) => ({
          status,
          count: inside.filter((o) => o.status === status).length,
        })).filter((s) => s.count > 0);
        assert.deepEqual(p.statuses, expected, `${granularity} ${p.local}`);
        assert.equal(p.total, inside.length);
      });
      const inWindow = orders.filter((o) => Date.parse(f.from) <= o.t && o.t < Date.parse(f.to));
      assert.equal(f.total, inWindow.length);
      assert.ok(f.previous, "previous asked for");
      assert.equal(f.previous.to, f.from);
    }
  });

  describe("each bad input is BAD_USER_INPUT saying what is wrong", () => {
    const bad: Array<[string, Record<string, unknown>, RegExp, string?]> = [
      ["an unknown zone", { granularity: "DAY", timeZone: "Mars/Olympus", last: 1 }, /IANA time zone/],
      [
        "from/to and last",
        { granularity: "DAY", last: 1, from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" },
        /not both/,
      ],
      ["no window", { granularity: "DAY" }, /give a window/],
      ["from without to", { granularity: "DAY", from: "2026-01-01T00:00:00Z" }, /go together/],
      ["from after to", { granularity: "DAY", from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z" }, /before to/],
      ["from = to", { granularity: "DAY", from: "2026-01-02T00:00:00Z", to: "2026-01-02T00:00:00Z" }, /before to/],
      ["last: 0", { granularity: "DAY", last: 0 }, /at least 1/],
      ["last over --max-series-points", { granularity: "MINUTE", last: 401 }, /more than 400/],
      [
        "a window of too many points",
        { granularity: "HOUR", from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" },
        /more than 400 hour points/,
      ],
      [
        "a time without offset",
        { granularity: "DAY", from: "2026-01-01T00:00:00", to: "2026-01-02T00:00:00Z" },
        /with Z or an offset/,
      ],
      [
        "a date that does not exist",
        { granularity: "DAY", from: "2026-02-30T00:00:00Z", to: "2026-03-02T00:00:00Z" },
        /with Z or an offset/,
      ],
      [
        "minute data past the retention",
        { granularity: "DAY", timeZone: "Asia/Kolkata", from: "2026-04-01T00:00:00Z", to: "2026-04-03T00:00:00Z" },
        /kept 30 days \(--minute-retention\)/,
      ],
      ["a bad account name", { account: "no such", granularity: "DAY", last: 1 }, /account must be/],
      ["funnelSeries by MINUTE", { granularity: "MINUTE", last: 5 }, /HOUR, DAY or MONTH/, "funnel"],
      [
        "funnelSeries cut inside UTC hours",
        { granularity: "DAY", timeZone: "Asia/Kolkata", last: 2 },
        /per UTC hour/,
        "funnel",
      ],
    ];
    for (const [what, vars, message, kind] of bad) {
      it(what, async () => {
        const doc = kind === "funnel" ? FunnelSeriesDocument : SeriesDocument;
        const all = { account: "acme", event: kind === "funnel" ? "order" : "pageview", ...vars };
        const r = await query(url, doc, all as never);
        // A variable that does not coerce (a bad DateTime) is a request error: 400 in GraphQL over HTTP.
        assert.equal(r.status, /offset/.test(message.source) ? 400 : 200, r.text);
        const error = r.body.errors?.[0];
        assert.equal(error?.extensions?.["code"], "BAD_USER_INPUT", r.text);
        assert.match(error?.message ?? "", message);
        assert.equal(r.body.data ?? null, null);
      });
    }
  });
});

describe("series cost counts points (default limits)", () => {
  let redis: TestRedis;
  let service: Service;
  before(async () => {
    redis = await startRedis();
    service = await startTestService(["--redis", redis.url, "--role", "api", "--key-prefix", redis.prefix()]);
    await eventually(async () => (await fetch(`${service.url}/readyz`)).status === 200, "the store connected");
  });
  after(async () => {
    await service.stop();
    await redis.stop();
  });
  const post = async (text: string) => {
    const res = await fetch(`${service.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: text }),
    });
    return (await res.json()) as {
      data?: unknown;
      errors?: Array<{ message: string; extensions?: { code?: string } }>;
    };
  };
  const fields = "from to total points { start local count }";

  it("a month by day with previous passes; last: 1500 costs what it returns", async () => {
    const month = await post(
      `{ series(account: "a", event: "pageview", granularity: DAY, timeZone: "America/Santiago", from: "2026-11-01T03:00:00Z", to: "2026-12-01T03:00:00Z") { ${fields} previous { ${fields} } } }`,
    );
    assert.equal(month.errors, undefined, JSON.stringify(month.errors));
    // 1500 points of 3 values: 4500, plus the static 16.25, under the default 5000.
    const minutes = await post(
      `{ series(account: "a", event: "pageview", granularity: MINUTE, last: 1500) { ${fields} } }`,
    );
    assert.equal(minutes.errors, undefined, JSON.stringify(minutes.errors));
    // The same with previous is over 9000; two aliased windows of 1000 points over 6000 together.
    for (const text of [
      `{ series(account: "a", event: "pageview", granularity: MINUTE, last: 1500) { ${fields} previous { total } } }`,
      `{ a: series(account: "a", event: "pageview", granularity: MINUTE, last: 1000) { ${fields} } b: series(account: "a", event: "pageview", granularity: HOUR, last: 1000) { ${fields} } }`,
    ]) {
      const r = await post(text);
      assert.equal(r.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(r.errors));
      assert.match(
        r.errors?.[0]?.message ?? "",
        /Query Cost limit of 5000 exceeded, found (90|60)\d\d(\.\d+)?: series returns \d+ points/,
      );
    }
  });
});
