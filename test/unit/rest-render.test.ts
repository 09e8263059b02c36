import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Counts } from "../../src/domain/types.js";
import {
  byCodePoint,
  jsonString,
  type Links,
  renderBody as renderBytes,
  renderError,
  type Wrap,
} from "../../src/rest/render.js";
import type { Echo } from "../../src/rest/route.js";

const renderBody = (e: Echo, links: Links, data: Counts | null, wrap?: Wrap) =>
  renderBytes(e, links, data, wrap).toString("utf8");

/** Every answer's fields, in the contract's order. */
const FIELDS = ["type", "account", "event", "year", "month", "day", "links", "data"];
const echo = { type: "track", account: "acme", event: "pageview", year: "2026", month: "02", day: "" };

describe("REST body rendering", () => {
  it("writes the contract's fields in order, with links and data", () => {
    const body = renderBody(
      echo,
      { base: "http://h:1/api/stats/track/acme/pageview/2026/2", children: [3, 10] },
      new Map([
        ["3", 1],
        ["10", 2],
      ]),
    );
    assert.equal(
      body,
      '{"type":"track","account":"acme","event":"pageview","year":"2026","month":"02","day":"",' +
        '"links":["http://h:1/api/stats/track/acme/pageview/2026/2/3","http://h:1/api/stats/track/acme/pageview/2026/2/10"],' +
        '"data":{"10":2,"3":1}}',
    );
    assert.deepEqual(Object.keys(JSON.parse(body)), FIELDS);
  });

  it("writes data null and {} and empty links", () => {
    const none = renderBody(echo, { base: "http://h", children: [] }, null);
    assert.match(none, /"links":\[\],"data":null\}$/);
    const empty = renderBody(echo, { base: "http://h", children: [] }, new Map());
    assert.match(empty, /"links":\[\],"data":\{\}\}$/);
  });

  it("sorts data keys as Go did: by string, by code point", () => {
    const keys = ["2", "10", "1", "12", "9", "b", "B", "\uffff", "\u{1f600}", "é"];
    const body = renderBody(echo, { base: "http://h", children: [] }, new Map(keys.map((k) => [k, 1])));
    const data = body.slice(body.indexOf('"data":') + 7, -1);
    assert.equal(data, '{"1":1,"10":1,"12":1,"2":1,"9":1,"B":1,"b":1,"é":1,"\uffff":1,"\u{1f600}":1}');
    // UTF-16 order would put the emoji (a surrogate pair) before U+FFFF; UTF-8 byte order does not.
    assert.ok(byCodePoint("\u{1f600}", "\uffff") > 0);
    assert.ok(byCodePoint("a", "ab") < 0);
    assert.equal(byCodePoint("x", "x"), 0);
  });

  it("orders numeric fields as strings too when a hand-written field is among them", () => {
    const data = (keys: string[]) => {
      const body = renderBody(echo, { base: "http://h", children: [] }, new Map(keys.map((k, i) => [k, i + 1])));
      return body.slice(body.indexOf('"data":') + 7, -1);
    };
    assert.equal(data(["59", "0", "5", "50"]), '{"0":2,"5":3,"50":4,"59":1}');
    assert.equal(data(["9", "07", "10", "0"]), '{"0":4,"07":2,"10":3,"9":1}');
    assert.equal(data(["9", "60", "10"]), '{"10":3,"60":2,"9":1}');
  });

  it("escapes strings as Go's encoding/json does, safe inside a script", () => {
    assert.equal(jsonString('<a href="x">&</a>'), '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"');
    assert.equal(jsonString("a\nb\r\tc\u0000\u001f\\"), '"a\\nb\\r\\tc\\u0000\\u001f\\\\"');
    assert.equal(jsonString("\u2028\u2029'é"), '"\\u2028\\u2029\'é"');
    for (const s of ["<\u2028>", "\u0001\u007f", 'q"']) assert.equal(JSON.parse(jsonString(s)), s);
    assert.equal(renderError('bad "x"'), '{"error":"bad \\"x\\""}');
  });

  it("escapes the Host part of links", () => {
    const body = renderBody(echo, { base: 'http://a"<b>/api/stats', children: ["track"] }, null);
    assert.ok(body.includes('"links":["http://a\\"\\u003cb\\u003e/api/stats/track"]'), body);
  });

  it("writes JSONP around the body", () => {
    const body = renderBody(echo, { base: "http://h", children: [1] }, null, { open: "/**/cb(", close: ")" });
    assert.equal(body, `/**/cb(${renderBody(echo, { base: "http://h", children: [1] }, null)})`);
  });

  // The bytes are written by hand (body-writer.ts): they must be what a JSON encoder with Go's key
  // order writes, for any echo, links and counts — large numbers, floats, non-ASCII names and
  // bodies larger than the writer's first buffer included.
  it("writes what a JSON encoder with Go's key order writes, for any answer", () => {
    const text = fc.string({ unit: "binary", maxLength: 40 });
    const name = fc.oneof(text, fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/));
    const count = fc.oneof(
      fc.integer({ min: -1e6, max: 1e6 }),
      fc.maxSafeInteger(),
      fc.double({ noNaN: true }),
      fc.constant(Number.MAX_SAFE_INTEGER + 2),
    );
    const segmentKeys = fc.uniqueArray(fc.integer({ min: 0, max: 59 }).map(String), { maxLength: 60 });
    const anyKeys = fc.uniqueArray(name, { maxLength: 30 });
    fc.assert(
      fc.property(
        fc.record({ type: text, account: text, event: text, year: text, month: text, day: text }),
        name,
        fc.oneof(fc.array(fc.nat(100), { maxLength: 40 }), fc.array(name, { maxLength: 600 })),
        fc.option(fc.tuple(fc.oneof(segmentKeys, anyKeys), fc.array(count, { minLength: 60, maxLength: 60 }))),
        (e, base, children, fields) => {
          const data: Counts | null = fields && new Map(fields[0].map((k, i) => [k, fields[1][i] as number]));
          const body = renderBody(e, { base, children }, data);
          const expected = reference(e, { base, children }, data);
          assert.equal(body, expected);
          assert.deepEqual(Object.keys(JSON.parse(body)), FIELDS);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("writes answers larger than the writer's first buffer, and the next answer after them", () => {
    const children = Array.from({ length: 5_000 }, (_, i) => `account-${i}-é`);
    const big = renderBody(echo, { base: "http://h/api/stats/track", children }, null);
    assert.ok(big.length > 100_000);
    assert.equal(big, reference(echo, { base: "http://h/api/stats/track", children }, null));
    const small = renderBody(echo, { base: "http://h", children: [1, 2] }, new Map([["1", 5]]));
    assert.equal(small, reference(echo, { base: "http://h", children: [1, 2] }, new Map([["1", 5]])));
  });
});

/** The same answer through JSON.stringify-like string building (the reference the bytes must equal). */
function reference(e: Echo, { base, children }: Links, data: Counts | null): string {
  const members =
    data === null
      ? "null"
      : `{${[...data.keys()]
          .sort(byCodePoint)
          .map((k) => `${jsonString(k)}:${JSON.stringify(Number.isFinite(data.get(k)) ? data.get(k) : 0)}`)
          .join(",")}}`;
  return (
    `{"type":${jsonString(e.type)},"account":${jsonString(e.account)},"event":${jsonString(e.event)},` +
    `"year":${jsonString(e.year)},"month":${jsonString(e.month)},"day":${jsonString(e.day)},` +
    `"links":[${children.map((c) => jsonString(`${base}/${c}`)).join(",")}],"data":${members}}`
  );
}
