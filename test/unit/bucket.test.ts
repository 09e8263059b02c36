import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bucketOf, parseEventTime, readEventTime } from "../../src/ingest/bucket.js";

const utc = (s: string) => Date.parse(s);

describe("bucketOf: UTC periods, unpadded", () => {
  it("the example of docs/contract.md §3: 2013-09-05 16:07 UTC", () => {
    assert.deepEqual(bucketOf(utc("2013-09-05T16:07:30Z")), { year: 2013, month: 9, day: 5, hour: 16, minute: 7 });
  });
  it("23:59:59.999 and 00:00:00.000 fall on different days", () => {
    assert.deepEqual(bucketOf(utc("2026-11-27T23:59:59.999Z")), {
      year: 2026,
      month: 11,
      day: 27,
      hour: 23,
      minute: 59,
    });
    assert.deepEqual(bucketOf(utc("2026-11-28T00:00:00.000Z")), { year: 2026, month: 11, day: 28, hour: 0, minute: 0 });
  });
  it("month and year ends", () => {
    assert.deepEqual(bucketOf(utc("2026-04-30T23:59:59.999Z")), {
      year: 2026,
      month: 4,
      day: 30,
      hour: 23,
      minute: 59,
    });
    assert.deepEqual(bucketOf(utc("2026-05-01T00:00:00.000Z")), { year: 2026, month: 5, day: 1, hour: 0, minute: 0 });
    assert.deepEqual(bucketOf(utc("2026-12-31T23:59:59.999Z")), {
      year: 2026,
      month: 12,
      day: 31,
      hour: 23,
      minute: 59,
    });
    assert.deepEqual(bucketOf(utc("2027-01-01T00:00:00.000Z")), { year: 2027, month: 1, day: 1, hour: 0, minute: 0 });
  });
  it("29 February in a leap year, 1 March otherwise", () => {
    assert.deepEqual(bucketOf(utc("2024-02-29T12:00:00Z")), { year: 2024, month: 2, day: 29, hour: 12, minute: 0 });
    assert.deepEqual(bucketOf(utc("2023-02-28T23:59:59.999Z")), {
      year: 2023,
      month: 2,
      day: 28,
      hour: 23,
      minute: 59,
    });
    assert.deepEqual(bucketOf(utc("2023-02-28T23:59:59.999Z") + 1), {
      year: 2023,
      month: 3,
      day: 1,
      hour: 0,
      minute: 0,
    });
  });
});

describe("parseEventTime (--time-source event)", () => {
  const at = (v: unknown) => parseEventTime(v);
  it("ISO 8601 with Z, with an offset, with fractions", () => {
    assert.equal(at("2013-09-05T16:07:00Z"), utc("2013-09-05T16:07:00Z"));
    assert.equal(at("2013-09-05T17:07:00+01:00"), utc("2013-09-05T16:07:00Z"));
    assert.equal(at("2013-09-05T17:07:00+0100"), utc("2013-09-05T16:07:00Z"));
    assert.equal(at("2013-09-05T16:07:00.250Z"), utc("2013-09-05T16:07:00.250Z"));
  });
  it("ISO without a zone, and a bare date, are UTC", () => {
    assert.equal(at("2013-09-05T16:07:00"), utc("2013-09-05T16:07:00Z"));
    assert.equal(at("2013-09-05"), utc("2013-09-05T00:00:00Z"));
  });
  it("Ruby's `2013-09-05 10:00:00 +0100`", () => {
    assert.equal(at("2013-09-05 10:00:00 +0100"), utc("2013-09-05T09:00:00Z"));
    assert.equal(at("2013-09-05 10:00:00 -0530"), utc("2013-09-05T15:30:00Z"));
  });
  it("unix seconds and milliseconds, as numbers or numeric strings", () => {
    assert.equal(at(1378397220), utc("2013-09-05T16:07:00Z"));
    assert.equal(at(1378397220.5), utc("2013-09-05T16:07:00.500Z"));
    assert.equal(at(1378397220123), 1378397220123);
    assert.equal(at("1378397220"), utc("2013-09-05T16:07:00Z"));
    assert.equal(at("1378397220123"), 1378397220123);
  });
  it("does not parse nonsense, impossible dates, or out-of-range times", () => {
    for (const v of [
      "",
      "yesterday",
      "2013-02-30",
      "2013-02-30T00:00:00Z",
      "2013-13-01",
      "2013-09-05 25:00:00 +0100",
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      1e20,
      null,
      undefined,
      {},
      [],
      true,
    ]) {
      assert.equal(at(v), undefined, `expected ${JSON.stringify(v)} not to parse`);
    }
  });
  it("29 February exists only in leap years", () => {
    assert.equal(at("2024-02-29T00:00:00Z"), utc("2024-02-29T00:00:00Z"));
    assert.equal(at("2023-02-29T00:00:00Z"), undefined);
  });
});

describe("readEventTime: the year range and why a time is refused", () => {
  const years = { min: 2000, max: 2027 };
  it("keeps times within the range", () => {
    assert.deepEqual(readEventTime(1378397220, years), { ok: true, ms: utc("2013-09-05T16:07:00Z") });
    assert.deepEqual(readEventTime("2027-12-31T23:59:59Z", years), { ok: true, ms: utc("2027-12-31T23:59:59Z") });
  });
  it("refuses a millisecond time before 1973 (read as seconds) and a compact date (read as seconds)", () => {
    assert.deepEqual(readEventTime(5e10, years), { ok: false, reason: "out_of_range" }); // ms 1971 → s 3554
    assert.deepEqual(readEventTime("20260131", years), { ok: false, reason: "out_of_range" }); // s 1970-08-23
    assert.deepEqual(readEventTime("2028-01-01", years), { ok: false, reason: "out_of_range" });
  });
  it("names missing and unparseable times apart", () => {
    for (const v of [undefined, null, ""]) assert.deepEqual(readEventTime(v, years), { ok: false, reason: "missing" });
    for (const v of ["yesterday", {}, -5])
      assert.deepEqual(readEventTime(v, years), { ok: false, reason: "unparseable" });
  });
});
