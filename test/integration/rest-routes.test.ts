/**
 * The legacy REST API against a real Redis fed over a real ZeroMQ socket: every route of
 * docs/contract.md §5 compared as whole bodies (bytes) and headers, starting from the answers recorded
 * from the old service (issue #4) and noting where the contract makes ours differ.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { assertLegacyHeaders, httpRequest } from "../helpers/rest-http.js";
import { metricValue, startTestService, wiring } from "../helpers/service.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

const order = (account: string, status: string, time: string) =>
  `order ${JSON.stringify({ type: "order", time, data: { account, status } })}`;

describe("REST: the routes of docs/contract.md §5", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let service: Service;
  let host: string;
  let B: string;

  const get = (path: string, headers?: Record<string, string>) =>
    httpRequest(`${service.url}${path}`, headers ? { headers } : {});
  const expectBody = async (path: string, body: string) => {
    const a = await get(path);
    assert.equal(a.status, 200, `${path}: ${a.body}`);
    assertLegacyHeaders(a);
    assert.equal(a.body, body, path);
    return a;
  };

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    service = await startTestService([
      ...wiring(redis.url, pub.endpoint, redis.prefix()),
      "--time-source",
      "event",
      "--pathprefix",
      "/api/stats",
    ]);
    host = new URL(service.url).host;
    B = `http://${host}/api/stats`;
    await pub.waitForSubscribers();

    // The stream the old service's answers were recorded with (issue #4) ...
    const at = "2026-11-28T03:05:00Z";
    const stream = [
      pageview("acme", { unq: "1" }, at),
      pageview("acme", {}, at),
      pageview("acme", {}, at),
      order("acme", "checkout", at),
      order("acme", "checkout", at),
      order("acme", "closed", at),
    ];
    // ... and an account whose months and days sort differently as strings and as numbers.
    for (const t of [
      "2025-06-01T00:00:00Z",
      "2026-01-15T10:00:00Z",
      "2026-02-03T00:00:00Z",
      "2026-02-03T00:00:00Z",
      "2026-03-01T05:00:00Z",
      "2026-03-02T05:00:00Z",
      "2026-03-10T05:00:00Z",
      "2026-03-20T05:00:00Z",
      "2026-10-01T23:59:00Z",
      "2026-12-31T12:30:00Z",
    ]) {
      stream.push(pageview("zeta", {}, t));
    }
    stream.push(order("zeta", `<b>"&'\u2028`, at));
    for (const m of stream) await pub.send(m);
    await eventually(async () => {
      const text = await (await fetch(`${service.url}/metrics`)).text();
      return metricValue(text, "stats_events_applied_total") === stream.length;
    }, `${stream.length} events applied`);
  });
  after(async () => {
    await service.stop();
    pub.close();
    await redis.stop();
  });

  it("answers the root exactly as the old service did", async () => {
    const root = `{"type":"","account":"","event":"","year":"","month":"","day":"","links":["${B}/track","${B}/funnels"],"data":null}`;
    await expectBody("/api/stats/", root);
    await expectBody("/api/stats", root);
  });

  it("lists accounts, events and years from the index, sorted", async () => {
    const list = (type: string, account: string, event: string, links: string[]) =>
      `{"type":"${type}","account":"${account}","event":"${event}","year":"","month":"","day":"","links":[${links
        .map((l) => `"${B}/${l}"`)
        .join(",")}],"data":null}`;
    await expectBody("/api/stats/track", list("track", "", "", ["track/acme", "track/all", "track/zeta"]));
    await expectBody("/api/stats/funnels", list("funnels", "", "", ["funnels/acme", "funnels/all", "funnels/zeta"]));
    await expectBody("/api/stats/track/acme", list("track", "acme", "", ["track/acme/pageview", "track/acme/unique"]));
    await expectBody("/api/stats/funnels/acme", list("funnels", "acme", "", ["funnels/acme/order"]));
    await expectBody("/api/stats/track/acme/pageview", list("track", "acme", "pageview", ["track/acme/pageview/2026"]));
    await expectBody(
      "/api/stats/track/zeta/pageview",
      list("track", "zeta", "pageview", ["track/zeta/pageview/2025", "track/zeta/pageview/2026"]),
    );
    // Recorded from the old service: an unknown account lists nothing, with data null.
    await expectBody("/api/stats/track/nosuchaccount/pageview", list("track", "nosuchaccount", "pageview", []));
    await expectBody("/api/stats/track/nosuchaccount", list("track", "nosuchaccount", "", []));
  });

  it("answers the recorded track periods, linking to the children that have data", async () => {
    const E = `"type":"track","account":"acme","event":"pageview"`;
    const P = `${B}/track/acme/pageview`;
    // Recorded: {"11":3}; links were every descendant key in random order, now the months with data.
    await expectBody(
      "/api/stats/track/acme/pageview/2026",
      `{${E},"year":"2026","month":"","day":"","links":["${P}/2026/11"],"data":{"11":3}}`,
    );
    await expectBody(
      "/api/stats/track/acme/pageview/2026/11",
      `{${E},"year":"2026","month":"11","day":"","links":["${P}/2026/11/28"],"data":{"28":3}}`,
    );
    // Recorded: "links":[] (the old service had no keys below the day). docs/contract.md §5: the hours with data.
    await expectBody(
      "/api/stats/track/acme/pageview/2026/11/28",
      `{${E},"year":"2026","month":"11","day":"28","links":["${P}/2026/11/28/3"],"data":{"3":3}}`,
    );
    // New: the hour route lists minutes and links nowhere; the hour itself is not echoed.
    await expectBody(
      "/api/stats/track/acme/pageview/2026/11/28/3",
      `{${E},"year":"2026","month":"11","day":"28","links":[],"data":{"5":3}}`,
    );
    await expectBody(
      "/api/stats/track/acme/unique/2026/11",
      `{"type":"track","account":"acme","event":"unique","year":"2026","month":"11","day":"","links":["${B}/track/acme/unique/2026/11/28"],"data":{"28":1}}`,
    );
    // The rollup account.
    await expectBody(
      "/api/stats/track/all/pageview/2026/11/28/3",
      `{"type":"track","account":"all","event":"pageview","year":"2026","month":"11","day":"28","links":[],"data":{"5":3}}`,
    );
    // Recorded: an unknown account's period is {} with no links.
    await expectBody(
      "/api/stats/track/nosuchaccount/pageview/2026",
      `{"type":"track","account":"nosuchaccount","event":"pageview","year":"2026","month":"","day":"","links":[],"data":{}}`,
    );
    // A period with no data is {} too, an empty hour and minute alike.
    await expectBody(
      "/api/stats/track/acme/pageview/2026/11/28/4",
      `{${E},"year":"2026","month":"11","day":"28","links":[],"data":{}}`,
    );
  });

  it("sorts data keys as strings (as the old service did) and links numerically", async () => {
    const E = `"type":"track","account":"zeta","event":"pageview"`;
    const P = `${B}/track/zeta/pageview`;
    await expectBody(
      "/api/stats/track/zeta/pageview/2026",
      `{${E},"year":"2026","month":"","day":"","links":["${P}/2026/1","${P}/2026/2","${P}/2026/3","${P}/2026/10","${P}/2026/12"],"data":{"1":1,"10":1,"12":1,"2":2,"3":4}}`,
    );
    await expectBody(
      "/api/stats/track/zeta/pageview/2026/3",
      `{${E},"year":"2026","month":"3","day":"","links":["${P}/2026/3/1","${P}/2026/3/2","${P}/2026/3/10","${P}/2026/3/20"],"data":{"1":1,"10":1,"2":1,"20":1}}`,
    );
  });

  it("reads 02 and 2 as the same month, echoing what the path said", async () => {
    const E = `"type":"track","account":"zeta","event":"pageview"`;
    const P = `${B}/track/zeta/pageview`;
    const tail = `"day":"","links":["${P}/2026/2/3"],"data":{"3":2}}`;
    await expectBody("/api/stats/track/zeta/pageview/2026/02", `{${E},"year":"2026","month":"02",${tail}`);
    await expectBody("/api/stats/track/zeta/pageview/2026/2", `{${E},"year":"2026","month":"2",${tail}`);
    await expectBody(
      "/api/stats/track/zeta/pageview/2026/02/03",
      `{${E},"year":"2026","month":"02","day":"03","links":["${P}/2026/2/3/0"],"data":{"0":2}}`,
    );
  });

  it("answers the recorded funnel periods; funnels stop at the day", async () => {
    const E = `"type":"funnels","account":"acme","event":"order"`;
    const P = `${B}/funnels/acme/order`;
    const data = `{"checkout":2,"closed":1}`;
    await expectBody(
      "/api/stats/funnels/acme/order",
      `{${E},"year":"","month":"","day":"","links":["${P}/2026"],"data":null}`,
    );
    await expectBody(
      "/api/stats/funnels/acme/order/2026",
      `{${E},"year":"2026","month":"","day":"","links":["${P}/2026/11"],"data":${data}}`,
    );
    // Recorded: "links":[] (the old service wrote no funnel day keys). docs/contract.md §5: the days with data.
    await expectBody(
      "/api/stats/funnels/acme/order/2026/11",
      `{${E},"year":"2026","month":"11","day":"","links":["${P}/2026/11/28"],"data":${data}}`,
    );
    await expectBody(
      "/api/stats/funnels/acme/order/2026/11/28",
      `{${E},"year":"2026","month":"11","day":"28","links":[],"data":${data}}`,
    );
    await expectBody(
      "/api/stats/funnels/all/order/2026/11/28",
      `{"type":"funnels","account":"all","event":"order","year":"2026","month":"11","day":"28","links":[],"data":{"\\u003cb\\u003e\\"\\u0026'\\u2028":1,"checkout":2,"closed":1}}`,
    );
    const nohour = await get("/api/stats/funnels/acme/order/2026/11/28/3");
    assert.equal(nohour.status, 404);
  });

  it("escapes statuses as Go did (<, >, & and U+2028), so the body is safe inside a script", async () => {
    const a = await get("/api/stats/funnels/zeta/order/2026/11/28");
    assert.equal(
      a.body,
      `{"type":"funnels","account":"zeta","event":"order","year":"2026","month":"11","day":"28","links":[],"data":{"\\u003cb\\u003e\\"\\u0026'\\u2028":1}}`,
    );
    assert.deepEqual(JSON.parse(a.body).data, { [`<b>"&'\u2028`]: 1 });
  });

  it("builds links on the request's Host header", async () => {
    const a = await get("/api/stats/", { Host: "stats.example.com:8091" });
    assert.equal(
      a.body,
      `{"type":"","account":"","event":"","year":"","month":"","day":"","links":["http://stats.example.com:8091/api/stats/track","http://stats.example.com:8091/api/stats/funnels"],"data":null}`,
    );
  });

  it("wraps JSONP with /**/ as text/javascript", async () => {
    const a = await get("/api/stats/track/acme/pageview/2026?callback=foo");
    assert.equal(a.status, 200);
    assertLegacyHeaders(a, "text/javascript");
    assert.equal(
      a.body,
      `/**/foo({"type":"track","account":"acme","event":"pageview","year":"2026","month":"","day":"","links":["${B}/track/acme/pageview/2026/11"],"data":{"11":3}})`,
    );
  });

  it("answers HEAD with the headers of GET and no body", async () => {
    const head = await httpRequest(`${service.url}/api/stats/track/acme/pageview/2026`, { method: "HEAD" });
    const full = await get("/api/stats/track/acme/pageview/2026");
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
    assert.equal(head.headers["content-length"], String(Buffer.byteLength(full.body)));
    assert.equal(head.headers["content-type"], "application/json");
  });

  it("decodes percent-encoded segments", async () => {
    const a = await get("/api/stats/track/ac%6De/pageview/2026");
    assert.equal(a.status, 200);
    assert.deepEqual(JSON.parse(a.body).data, { "11": 3 });
    assert.equal(JSON.parse(a.body).account, "acme");
  });
});

describe("REST: another --path-prefix", () => {
  let redis: TestRedis;
  let service: Service;

  before(async () => {
    redis = await startRedis();
    const prefix = redis.prefix();
    service = await startTestService([
      "--role",
      "api",
      "--redis",
      redis.url,
      "--key-prefix",
      prefix,
      "--path-prefix",
      "/stats/v1/",
    ]);
    await redis.client.hincrby(`${prefix}track:acme:pageview:2026`, "11", 3);
  });
  after(async () => {
    await service.stop();
    await redis.stop();
  });

  it("serves the routes and builds the links under that prefix only", async () => {
    const B = `http://${new URL(service.url).host}/stats/v1`;
    const a = await httpRequest(`${service.url}/stats/v1/track/acme/pageview/2026`);
    assert.equal(a.status, 200);
    assertLegacyHeaders(a);
    assert.equal(
      a.body,
      `{"type":"track","account":"acme","event":"pageview","year":"2026","month":"","day":"","links":["${B}/track/acme/pageview/2026/11"],"data":{"11":3}}`,
    );
    assert.equal((await httpRequest(`${service.url}/api/stats/track/acme/pageview/2026`)).status, 404);
  });
});
