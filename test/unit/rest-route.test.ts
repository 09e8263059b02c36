import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NOT_FOUND, parseRoute } from "../../src/rest/route.js";

const echo = (type = "", account = "", event = "", year = "", month = "", day = "") => ({
  type,
  account,
  event,
  year,
  month,
  day,
});

describe("REST route parsing", () => {
  it("names every level of docs/contract.md §5", () => {
    assert.deepEqual(parseRoute(""), { level: "root", echo: echo() });
    assert.deepEqual(parseRoute("/"), { level: "root", echo: echo() });
    assert.deepEqual(parseRoute("/track"), { level: "accounts", kind: "track", echo: echo("track") });
    assert.deepEqual(parseRoute("/funnels/"), { level: "accounts", kind: "funnels", echo: echo("funnels") });
    assert.deepEqual(parseRoute("/track/acme"), {
      level: "events",
      kind: "track",
      account: "acme",
      echo: echo("track", "acme"),
    });
    assert.deepEqual(parseRoute("/funnels/a.b_c-1/order"), {
      level: "years",
      kind: "funnels",
      account: "a.b_c-1",
      event: "order",
      echo: echo("funnels", "a.b_c-1", "order"),
    });
    assert.deepEqual(parseRoute("/track/acme/pageview/2026/02/03/07"), {
      level: "period",
      kind: "track",
      account: "acme",
      event: "pageview",
      period: { year: 2026, month: 2, day: 3, hour: 7 },
      echo: echo("track", "acme", "pageview", "2026", "02", "03"),
    });
    assert.deepEqual(parseRoute("/funnels/acme/order/2026"), {
      level: "period",
      kind: "funnels",
      account: "acme",
      event: "order",
      period: { year: 2026, month: undefined, day: undefined, hour: undefined },
      echo: echo("funnels", "acme", "order", "2026"),
    });
  });

  it("404s what is not a route, before looking at names or numbers", () => {
    for (const path of [
      "x",
      "/foo",
      "/TRACK",
      "/track//x",
      "//track",
      "/track/a/e/2026/1/1/1/1",
      "/funnels/a/e/2026/1/1/1",
      "/foo/*/x",
      "/track/acme/pageview/2026//",
    ]) {
      assert.deepEqual(parseRoute(path), NOT_FOUND, path);
    }
  });

  it("400s bad names, numbers, dates and escapes", () => {
    const status = (path: string) => {
      const r = parseRoute(path);
      return "status" in r ? `${r.status} ${r.message}` : "ok";
    };
    assert.match(status("/track/*"), /^400 account must be/);
    assert.match(status("/track/acme/a:b"), /^400 event must be/);
    assert.match(status(`/track/${"x".repeat(129)}`), /^400 account/);
    assert.equal(status(`/track/${"x".repeat(128)}`), "ok");
    assert.match(status("/track/%zz"), /^400 malformed percent-encoding/);
    assert.equal(status("/track/a/e/20x6"), "400 year must be a whole number");
    assert.equal(status("/track/a/e/2026/ 1"), "400 month must be a whole number");
    assert.equal(status("/track/a/e/2026/1/1/0x1"), "400 hour must be a whole number");
    assert.equal(status(`/track/a/e/${"9".repeat(33)}`), "400 year must be a whole number");
    assert.match(status("/track/a/e/1969"), /^400 year must be an integer from 1970 to 9999/);
    assert.equal(status("/track/a/e/2024/2/30"), "400 day must be 1-29 for 2024-2, got 30");
    assert.equal(status("/track/a/e/2024/2/29"), "ok");
    assert.equal(status("/track/a/e/2024/002/0029/000023"), "ok");
  });
});
