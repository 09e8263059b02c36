/**
 * top (docs/contract.md §9) through real HTTP against a real redis-server, with events ingested over a real
 * ZeroMQ socket and pinned with --time-source event: rankings over windows in UTC, around both 2026
 * Santiago DST changes, over 11 months, and in Asia/Kolkata (boundaries at :30, minute data) — each
 * checked against a count of the events sent, in the segments of the minute-by-minute reference;
 * each listed account's count against its `series` total; the reads counted; the bad arguments.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Granularity } from "../../src/domain/segments.js";
import { SeriesDocument, TopDocument } from "../gql/graphql.js";
import { query } from "../helpers/graphql.js";
import { eventually } from "../helpers/ports.js";
import type { TestRedis } from "../helpers/redis.js";
import { metricValue, type ServiceRig, startServiceRig } from "../helpers/service.js";
import { referenceRange } from "../helpers/time-reference.js";
import { pageview } from "../helpers/zmq.js";

const MINUTE = 60_000;
const DAY = 86_400_000;

const ACCOUNTS = ["acme", "beta", "zeta", "delta", "echo", "foxtrot", "golf"];

interface Sent {
  t: number;
  account: string;
  unique: boolean;
}

/**
 * Events every `step` from `from` for `span`, off the minute; accounts drawn with a skew that
 * changes over time (the leader in one window is not the leader in the next), some unique.
 */
function every(from: string, span: number, step: number, salt: number): Sent[] {
  const out: Sent[] = [];
  let i = salt;
  for (let t = Date.parse(from) + 17_000; t < Date.parse(from) + span; t += step, i++) {
    const h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
    const skew = Math.floor(t / (7 * 3_600_000)) % ACCOUNTS.length;
    const pick = h % 3 === 0 ? skew : (h >>> 8) % ACCOUNTS.length;
    out.push({ t, account: ACCOUNTS[pick] as string, unique: (h >>> 4) % 4 === 0 });
  }
  return out;
}

const NOW = Date.now();
const events: Sent[] = [
  ...every("2026-04-03T00:00:00Z", 4 * DAY, 23 * MINUTE, 1), // Santiago -03 -> -04 on 2026-04-05T03:00Z
  ...every("2026-09-04T00:00:00Z", 4 * DAY, 29 * MINUTE, 2), // Santiago -04 -> -03 on 2026-09-06T04:00Z
  ...every("2025-06-01T00:00:00Z", 340 * DAY, 13 * 3_600_000, 3), // eleven months and more
  ...every(new Date(Math.floor((NOW - 3 * DAY) / MINUTE) * MINUTE).toISOString(), 3 * DAY, 17 * MINUTE, 4), // recent
  // Ties: two accounts with the same count in one hour, listed by name.
  { t: Date.parse("2026-04-03T10:05:00Z"), account: "tie-b", unique: false },
  { t: Date.parse("2026-04-03T10:06:00Z"), account: "tie-a", unique: false },
  // The rollup account's own events count in the total, never in the ranking.
  { t: Date.parse("2026-04-03T10:07:00Z"), account: "all", unique: false },
];

type Window = { granularity: Granularity; timeZone?: string; from?: string; to?: string; last?: number };

interface TopAnswer {
  event: string;
  granularity: string;
  timeZone: string;
  from: string;
  to: string;
  total: number;
  accountCount: number;
  accounts: Array<{ account: string; count: number }>;
  others: number;
}

/** The answer a brute-force count of the events sent gives for [from, to). */
function expected(a: TopAnswer, first: number, event: string) {
  const from = Date.parse(a.from);
  const to = Date.parse(a.to);
  const inside = events.filter((e) => from <= e.t && e.t < to && (event !== "unique" || e.unique));
  const by = new Map<string, number>();
  for (const e of inside) if (e.account !== "all") by.set(e.account, (by.get(e.account) ?? 0) + 1);
  const ranked = [...by]
    .map(([account, count]) => ({ account, count }))
    .sort((x, y) => y.count - x.count || (x.account < y.account ? -1 : 1));
  const accounts = ranked.slice(0, first);
  return {
    total: inside.length,
    accountCount: ranked.length,
    accounts,
    others: inside.length - accounts.reduce((n, x) => n + x.count, 0),
  };
}

describe("GraphQL top over a real Redis", () => {
  let rig: ServiceRig;
  let redis: TestRedis;
  let url: string;

  before(async () => {
    rig = await startServiceRig(["--time-source", "event", "--max-series-points", "400"]);
    ({ redis } = rig);
    const { pub } = rig;
    url = rig.service.url;
    for (const e of events) {
      await pub.send(pageview(e.account, e.unique ? { unq: "1" } : {}, new Date(e.t).toISOString()));
    }
    await eventually(async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return metricValue(text, "stats_events_applied_total") === events.length;
    }, "every event applied");
  });
  after(() => rig?.stop());

  const top = async (w: Window, first?: number, event = "pageview") => {
    const r = await query(url, TopDocument, { event, ...w, ...(first === undefined ? {} : { first }) });
    assert.equal(r.status, 200);
    assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
    assert.ok(r.body.data);
    return r.body.data.top;
  };

  /** Asserts the window is the reference's and the ranking the events' own; returns the answer. */
  const checkTop = async (w: Window, first = 10, event = "pageview") => {
    const a = await top(w, first, event);
    const zone = w.timeZone ?? "UTC";
    assert.equal(a.timeZone, zone);
    assert.equal(a.granularity, w.granularity);
    // The reference labels every minute: checked on windows of days (months are §7's tests' own).
    if (w.from !== undefined && w.to !== undefined && Date.parse(w.to) - Date.parse(w.from) < 10 * DAY) {
      const ref = referenceRange(zone, w.granularity, Date.parse(w.from), Date.parse(w.to));
      assert.equal(a.from, new Date((ref[0] as { start: number }).start).toISOString(), "aligned from");
      assert.equal(a.to, new Date((ref[ref.length - 1] as { end: number }).end).toISOString(), "aligned to");
    }
    assert.deepEqual(
      { total: a.total, accountCount: a.accountCount, accounts: a.accounts, others: a.others },
      expected(a, first, event),
      `${event} ${JSON.stringify(w)}`,
    );
    return a;
  };

  it("UTC days: every account's count, ties by name, the rollup's own events in the total only", async () => {
    const a = await checkTop({ granularity: "DAY", from: "2026-04-03T00:00:00Z", to: "2026-04-07T00:00:00Z" }, 100);
    assert.ok(a.accountCount >= ACCOUNTS.length, `${a.accountCount} accounts`);
    assert.ok(!a.accounts.some((x) => x.account === "all"), "the rollup is never listed");
    const hour = await checkTop({ granularity: "HOUR", from: "2026-04-03T10:00:00Z", to: "2026-04-03T11:00:00Z" }, 100);
    const names = hour.accounts.map((x) => x.account);
    assert.ok(names.indexOf("tie-a") < names.indexOf("tie-b"), "a tie is listed by name");
    assert.ok(hour.others > 0 || hour.total === hour.accounts.reduce((n, x) => n + x.count, 0) + 1);
    await checkTop({ granularity: "DAY", from: "2026-04-03T00:00:00Z", to: "2026-04-07T00:00:00Z" }, 3);
    await checkTop({ granularity: "DAY", from: "2026-04-03T00:00:00Z", to: "2026-04-07T00:00:00Z" }, 3, "unique");
  });

  it("Santiago across both DST changes: days of 25 and 23 hours, the repeated hour, minutes", async () => {
    for (const w of [
      { from: "2026-04-03T12:00:00Z", to: "2026-04-06T12:00:00Z", granularity: "DAY" },
      { from: "2026-04-04T12:00:00Z", to: "2026-04-05T12:00:00Z", granularity: "DAY" },
      { from: "2026-04-05T01:00:00Z", to: "2026-04-05T05:00:00Z", granularity: "HOUR" },
      { from: "2026-09-04T12:00:00Z", to: "2026-09-07T12:00:00Z", granularity: "DAY" },
      { from: "2026-09-06T00:00:00Z", to: "2026-09-06T06:00:00Z", granularity: "HOUR" },
    ] as const) {
      await checkTop({ ...w, timeZone: "America/Santiago" }, 5);
    }
  });

  it("eleven months by MONTH and by DAY, in UTC and Santiago", async () => {
    await checkTop({ granularity: "MONTH", from: "2025-06-01T00:00:00Z", to: "2026-05-01T00:00:00Z" });
    await checkTop({ granularity: "DAY", from: "2025-06-15T00:00:00Z", to: "2026-05-15T00:00:00Z" });
    await checkTop({
      granularity: "MONTH",
      timeZone: "America/Santiago",
      from: "2025-06-15T00:00:00Z",
      to: "2026-04-15T00:00:00Z",
    });
  });

  it("Asia/Kolkata within the minute retention: days, hours and minutes cut UTC hours at :30", async () => {
    const days = await checkTop({ granularity: "DAY", timeZone: "Asia/Kolkata", last: 3 });
    assert.ok(days.from.endsWith(":30:00.000Z"), days.from);
    assert.ok(days.total > 100, `${days.total} events in the last 3 Kolkata days`);
    await checkTop({ granularity: "HOUR", timeZone: "Asia/Kolkata", last: 30 }, 4);
    await checkTop({ granularity: "MINUTE", timeZone: "Asia/Kolkata", last: 300 }, 4);
    await checkTop({ granularity: "DAY", timeZone: "Asia/Kathmandu", last: 2 }, 4);
  });

  it("each listed account's count is its series total over the same window; total is all's", async () => {
    for (const w of [
      { granularity: "DAY", timeZone: "America/Santiago", from: "2026-04-03T12:00:00Z", to: "2026-04-06T12:00:00Z" },
      { granularity: "DAY", from: "2025-06-15T00:00:00Z", to: "2026-05-15T00:00:00Z" },
      { granularity: "HOUR", timeZone: "Asia/Kolkata", last: 30 },
    ] as const) {
      const a = await top(w, 5);
      assert.ok(a.accounts.length > 0);
      for (const account of [...a.accounts.map((x) => x.account), "all"]) {
        const r = await query(url, SeriesDocument, { account, event: "pageview", ...w });
        assert.equal(r.body.errors, undefined, JSON.stringify(r.body.errors));
        const s = r.body.data?.series;
        assert.equal(s?.from, a.from);
        assert.equal(s?.to, a.to);
        const want = account === "all" ? a.total : a.accounts.find((x) => x.account === account)?.count;
        assert.equal(s?.total, want, `${account} in ${JSON.stringify(w)}`);
      }
    }
  });

  it("an 11-month window is one ZUNION (in one script) and a few HGETALLs, in one round trip", async () => {
    const calls = async () => {
      const info = await redis.client.info("commandstats");
      const n = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
      return { zunion: n("zunion"), evalsha: n("evalsha") + n("eval"), hgetall: n("hgetall"), all: n("") };
    };
    const w = { granularity: "DAY", from: "2025-06-15T00:00:00Z", to: "2026-05-15T00:00:00Z" } as const;
    await top(w); // loads the script
    const before = await calls();
    // Not the answer cache's: a different `first` each time (the cache keeps answers until a flush).
    await top(w, 7);
    const after = await calls();
    assert.equal(after.zunion - before.zunion, 1, "one ZUNION");
    assert.equal(after.evalsha - before.evalsha, 1, "one script");
    assert.ok(after.hgetall - before.hgetall <= 4, `${after.hgetall - before.hgetall} HGETALLs for the total`);
  });

  it("top costs what it can return: first x the values selected per account, against --max-query-cost", async () => {
    const fragments = Array.from({ length: 10 }, (_, i) => `fragment F${i} on AccountCount { account count }`);
    const spread = fragments.map((_, i) => `...F${i}`).join(" ");
    const text = (first: number) =>
      `{ a: top(event: "pageview", granularity: DAY, last: 2, first: ${first}) { accounts { ${spread} } } b: top(event: "pageview", granularity: DAY, last: 2, first: ${first}) { accounts { ${spread} } } c: top(event: "pageview", granularity: DAY, last: 2, first: ${first}) { accounts { ${spread} } } } ${fragments.join(" ")}`;
    const post = async (q: string) => {
      const res = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: q }),
      });
      return (await res.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
    };
    // 3 x 10 accounts x 20 values: well under the default 5000.
    assert.equal((await post(text(10))).errors, undefined);
    // 3 x 100 x 20 = 6000: over.
    const refused = await post(text(100));
    assert.equal(refused.errors?.[0]?.extensions?.code, "BAD_USER_INPUT", JSON.stringify(refused.errors));
    assert.match(
      refused.errors?.[0]?.message ?? "",
      /Query Cost limit of 5000 exceeded, found \d+(\.\d+)?: top returns up to 100 accounts of 20 values each/,
    );
  });

  it("bad arguments are BAD_USER_INPUT, saying why", async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ granularity: "DAY", last: 2, from: "2026-04-03T00:00:00Z", to: "2026-04-04T00:00:00Z" }, /not both/],
      [{ granularity: "DAY" }, /give a window/],
      [{ granularity: "DAY", from: "2026-04-04T00:00:00Z", to: "2026-04-03T00:00:00Z" }, /before to/],
      [{ granularity: "DAY", last: 0 }, /at least 1/],
      [{ granularity: "HOUR", last: 401 }, /more than 400/],
      [{ granularity: "MINUTE", from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }, /more than 400/],
      [{ granularity: "DAY", last: 2, timeZone: "Mars/Olympus" }, /IANA/],
      [
        { granularity: "DAY", timeZone: "Asia/Kolkata", from: "2026-04-03T00:00:00Z", to: "2026-04-05T00:00:00Z" },
        /minute-retention/,
      ],
      [{ granularity: "DAY", last: 2, first: 0 }, /first must be between 1 and 100/],
      [{ granularity: "DAY", last: 2, first: 101 }, /first must be between 1 and 100/],
      [{ granularity: "DAY", last: 2, event: "a b" }, /event must be/],
    ];
    for (const [vars, message] of cases) {
      const r = await query(url, TopDocument, { event: "pageview", ...vars } as never);
      assert.equal(r.status, 200, JSON.stringify(vars));
      assert.equal(r.body.errors?.[0]?.extensions?.["code"], "BAD_USER_INPUT", `${JSON.stringify(vars)}: ${r.text}`);
      assert.match(r.body.errors?.[0]?.message ?? "", message, JSON.stringify(vars));
      assert.equal(r.body.data, null);
    }
  });
});
