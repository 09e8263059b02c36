/**
 * `--time-source event`: events are bucketed by their own `time` field (ISO 8601, unix seconds or
 * milliseconds, Ruby's `2013-09-05 10:00:00 +0100`); a time that does not parse falls back to the
 * time of receipt. With the default `receive`, the field is ignored.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { metric } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService, wiring } from "../helpers/service.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

/** Where a UTC instant lands: the four track keys' suffixes and fields. */
function slot(ms: number) {
  const d = new Date(ms);
  const [Y, M, D, h, m] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()];
  return { Y, M, D, h, m };
}

describe("ingest: --time-source", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let service: Service;
  let prefix: string;

  const start = async (source: "event" | "receive") => {
    pub = await startPublisher();
    prefix = redis.prefix();
    service = await startTestService([...wiring(redis.url, pub.endpoint, prefix), "--time-source", source]);
    await pub.waitForSubscribers();
  };
  const stop = async () => {
    await service.stop();
    pub.close();
  };
  /** Asserts the event of `account` was counted once, in the minute of `ms`, at every level. */
  const landedAt = async (account: string, ms: number) => {
    const { Y, M, D, h, m } = slot(ms);
    const hash = (key: string) => redis.client.hgetall(`${prefix}track:${account}:pageview:${key}`);
    assert.deepEqual(await hash(`${Y}`), { [M]: "1" }, `${account} year`);
    assert.deepEqual(await hash(`${Y}:${M}`), { [D]: "1" }, `${account} month`);
    assert.deepEqual(await hash(`${Y}:${M}:${D}`), { [h]: "1" }, `${account} day`);
    assert.deepEqual(await hash(`${Y}:${M}:${D}:${h}`), { [m]: "1" }, `${account} hour`);
  };
  /** Asserts the event of `account` was counted at receive time (between `from` and `to`). */
  const landedNow = async (account: string, from: number, to: number) => {
    const years = await redis.client.smembers(`${prefix}index:track:years:${account}:pageview`);
    const candidates = [slot(from), slot(to)].map((s) => `${s.Y}`);
    assert.equal(years.length, 1, `${account}: ${years.join(",")}`);
    assert.ok(candidates.includes(years[0] as string), `${account} counted in ${years[0]}, not now`);
    const days = await redis.client.hgetall(`${prefix}track:${account}:pageview:${slot(to).Y}:${slot(to).M}`);
    const fromDay = slot(from);
    const ok = days[slot(to).D] === "1" || (fromDay.M === slot(to).M && days[fromDay.D] === "1");
    assert.ok(ok, `${account} counted today: ${JSON.stringify(days)}`);
  };

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  it("buckets each time form in its own period, and falls back to receive time", async () => {
    await start("event");
    try {
      const cases: Array<[string, unknown, number]> = [
        ["iso-z", "2013-09-05T16:07:30Z", Date.UTC(2013, 8, 5, 16, 7, 30)],
        ["iso-ms", "2013-09-05T16:08:30.123Z", Date.UTC(2013, 8, 5, 16, 8, 30)],
        // +02:00 at 01:30 is the previous UTC day, and here the previous year.
        ["iso-offset", "2014-01-01T01:30:00+02:00", Date.UTC(2013, 11, 31, 23, 30)],
        ["iso-no-zone", "2012-07-04T10:20:00", Date.UTC(2012, 6, 4, 10, 20)],
        ["iso-date", "2012-03-01", Date.UTC(2012, 2, 1)],
        ["unix-s", Date.UTC(2012, 1, 29, 12, 0) / 1000, Date.UTC(2012, 1, 29, 12, 0)],
        ["unix-s-text", String(Date.UTC(2011, 10, 11, 11, 11) / 1000), Date.UTC(2011, 10, 11, 11, 11)],
        ["unix-s-frac", Date.UTC(2010, 4, 6, 7, 8, 9) / 1000 + 0.5, Date.UTC(2010, 4, 6, 7, 8, 9)],
        ["unix-ms", Date.UTC(2011, 5, 15, 8, 45), Date.UTC(2011, 5, 15, 8, 45)],
        ["unix-ms-text", String(Date.UTC(2009, 0, 1, 0, 0)), Date.UTC(2009, 0, 1, 0, 0)],
        ["ruby", "2013-09-05 10:00:00 +0100", Date.UTC(2013, 8, 5, 9, 0)],
        ["ruby-west", "2013-12-31 22:15:00 -0300", Date.UTC(2014, 0, 1, 1, 15)],
      ];
      const unparseable: Array<[string, unknown]> = [
        ["bad-words", "yesterday"],
        ["bad-date", "2013-02-30T00:00:00Z"],
        ["bad-month", "2013-13-01"],
        ["bad-negative", -5],
        ["bad-object", { at: 1 }],
        ["bad-bool", true],
        ["bad-missing", undefined],
        ["bad-year", "99999-01-01"],
      ];
      const from = Date.now();
      for (const [account, time] of cases) await pub.send(pageview(account, {}, time));
      for (const [account, time] of unparseable) await pub.send(pageview(account, {}, time));
      const total = cases.length + unparseable.length;
      await eventually(
        async () => (await metric(service.url, "stats_events_applied_total")) === total,
        `${total} events applied`,
      );
      const to = Date.now();

      for (const [account, , at] of cases) await landedAt(account, at);
      for (const [account] of unparseable) await landedNow(account, from, to);
      assert.deepEqual(
        (await redis.client.smembers(`${prefix}index:track:years:all:pageview`)).map(Number).sort(),
        [...new Set([2009, 2010, 2011, 2012, 2013, 2014, slot(from).Y, slot(to).Y])].sort(),
      );
    } finally {
      await stop();
    }
  });

  it("ignores the time field by default (--time-source receive)", async () => {
    await start("receive");
    try {
      const from = Date.now();
      await pub.send(pageview("receive", {}, "2013-09-05T16:07:30Z"));
      await eventually(async () => (await metric(service.url, "stats_events_applied_total")) === 1, "applied");
      await landedNow("receive", from, Date.now());
    } finally {
      await stop();
    }
  });
});
