import assert from "node:assert/strict";
import { describe, it } from "node:test";
import calculateSlot from "cluster-key-slot";
import { daysInMonth, granularityOf, periodError, segmentKeys } from "../../src/domain/period.js";
import { ownsAccount, parseShard } from "../../src/domain/shard.js";
import { createKeySpace, guardInSlot } from "../../src/store/keys.js";

describe("key space", () => {
  const k = createKeySpace();
  it("builds the old service's keys, unpadded", () => {
    assert.equal(k.counter("track", "acme", "pageview", { year: 2013 }), "track:acme:pageview:2013");
    assert.equal(
      k.counter("track", "acme", "pageview", { year: 2013, month: 9, day: 5, hour: 6 }),
      "track:acme:pageview:2013:9:5:6",
    );
    assert.equal(k.counter("funnels", "acme", "order", { year: 2013, month: 9 }), "funnels:acme:order:2013:9");
    assert.equal(
      k.counter("funnels", "acme", "order", { year: 2013, month: 9, day: 5, hour: 16 }),
      "funnels:acme:order:2013:9:5:16",
    );
    assert.equal(k.parseCounter("funnels:acme:order:2013:9:5:16")?.period.hour, 16);
  });
  it("builds the rankings' keys: one hash tag per event, so every set of an event shares a slot", () => {
    const p = createKeySpace("pre:");
    assert.equal(p.top("pageview", { year: 2013 }), "pre:top:{pageview}:2013");
    assert.equal(
      p.top("pageview", { year: 2013, month: 9, day: 5, hour: 16, minute: 7 }),
      "pre:top:{pageview}:2013:9:5:16:7",
    );
    const slots = new Set(
      [{ year: 2013 }, { year: 2013, month: 9 }, { year: 2013, month: 9, day: 5, hour: 0, minute: 59 }].map((period) =>
        calculateSlot(p.top("unique", period)),
      ),
    );
    assert.deepEqual([...slots], [calculateSlot("unique")]);
  });
  it("parses counter keys back and refuses what is not one", () => {
    assert.deepEqual(k.parseCounter("track:acme:pageview:2013:9:5:16"), {
      kind: "track",
      account: "acme",
      event: "pageview",
      period: { year: 2013, month: 9, day: 5, hour: 16 },
    });
    for (const junk of [
      "track:acme:pageview",
      "track:acme:pageview:x",
      "track:acme:pageview:2013:09",
      "track:a b:pageview:2013",
      "funnels:acme:order:2013:9:5:16:7",
      "track:acme:pageview:2013:9:5:16:7",
      "index:track:accounts",
      "other:acme:pageview:2013",
    ]) {
      assert.equal(k.parseCounter(junk), undefined, junk);
    }
  });
  it("a prefix applies to every key and to parsing", () => {
    const p = createKeySpace("t1:");
    assert.equal(p.accounts("track"), "t1:index:track:accounts");
    assert.equal(p.guard("b:0"), "t1:applied:b:0");
    assert.equal(p.channel("flushed"), "t1:live:flushed", "the live bus's channel, as other processes subscribe to it");
    assert.equal(guardInSlot(p.guard("b:0"), "3x"), "t1:applied:b:0:{3x}", "a cluster guard hashes by its tag alone");
    assert.equal(p.scanPattern("funnels"), "t1:funnels:*");
    assert.equal(p.parseCounter("track:acme:pageview:2013"), undefined);
    assert.equal(p.parseCounter("t1:track:acme:pageview:2013")?.account, "acme");
  });
});

describe("periods", () => {
  it("days in month, leap years included", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((m) => daysInMonth(2023, m)),
      [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
    );
    assert.equal(daysInMonth(2024, 2), 29);
    assert.equal(daysInMonth(2000, 2), 29);
    assert.equal(daysInMonth(1900, 2), 28);
  });
  it("validates with messages that say what is wrong", () => {
    assert.equal(periodError({ year: 2026 }), undefined);
    assert.equal(periodError({ year: 2024, month: 2, day: 29, hour: 23 }), undefined);
    assert.match(periodError({ year: 2026, month: 13 }) ?? "", /month must be 1-12, got 13/);
    assert.match(periodError({ year: 2026, month: 0 }) ?? "", /month/);
    assert.match(periodError({ year: 2023, month: 2, day: 29 }) ?? "", /day must be 1-28 for 2023-2, got 29/);
    assert.match(periodError({ year: 2026, month: 1, day: 1, hour: 24 }) ?? "", /hour must be 0-23/);
    assert.match(periodError({ year: 2026, day: 1 }) ?? "", /day needs month/);
    assert.match(periodError({ year: 2026, month: 1, hour: 1 }) ?? "", /hour needs day/);
    assert.match(periodError({ year: 1969 }) ?? "", /year/);
    assert.match(periodError({ year: 10_000 }) ?? "", /year/);
    assert.match(periodError({ year: 2026.5 }) ?? "", /year/);
  });
  it("granularity and complete segment keys", () => {
    assert.equal(granularityOf({ year: 2026 }), "MONTH");
    assert.deepEqual(segmentKeys({ year: 2026 }), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.equal(segmentKeys({ year: 2024, month: 2 }).length, 29);
    assert.equal(segmentKeys({ year: 2026, month: 4 }).at(-1), 30);
    assert.deepEqual(segmentKeys({ year: 2026, month: 4, day: 1 }).slice(0, 2), [0, 1]);
    assert.equal(segmentKeys({ year: 2026, month: 4, day: 1 }).length, 24);
    assert.equal(granularityOf({ year: 2026, month: 4, day: 1, hour: 0 }), "MINUTE");
    assert.equal(segmentKeys({ year: 2026, month: 4, day: 1, hour: 0 }).length, 60);
  });
});

describe("shards", () => {
  it("parses i/n", () => {
    assert.deepEqual(parseShard("1/3"), { index: 1, count: 3 });
    for (const bad of ["3/3", "0/0", "-1/2", "1", "a/b", "1/2/3"]) assert.equal(parseShard(bad), undefined, bad);
  });
  it("every account belongs to exactly one shard, spread roughly evenly", () => {
    const shards = [0, 1, 2].map((index) => ({ index, count: 3 }));
    const sizes = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const owners = shards.filter((s) => ownsAccount(s, `account-${i}`));
      assert.equal(owners.length, 1);
      const index = (owners[0] as { index: number }).index;
      sizes.set(index, (sizes.get(index) ?? 0) + 1);
    }
    for (const n of sizes.values()) assert.ok(n > 800 && n < 1200, `shard sizes ${[...sizes.values()]}`);
  });
});
