/**
 * What a browser app on another origin sees when the service needs API tokens: a 401 it can read
 * (CORS headers, WWW-Authenticate exposed) on GraphQL and REST alike, a 403 with its challenge,
 * preflights that allow Authorization, and `--cors-origins` narrowing who may read at all.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { type ServerProcess, spawnServer } from "../helpers/ingest.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { wiring } from "../helpers/service.js";
import { startPublisher, type TestPublisher } from "../helpers/zmq.js";

const DASHBOARD = "https://dash.example.com";
const YEAR = new Date().getUTCFullYear();

describe("CORS with API tokens and --cors-origins", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let server: ServerProcess;

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    server = await spawnServer(
      [...wiring(redis.url, pub.endpoint, redis.prefix()), "--cors-origins", `${DASHBOARD},http://localhost:3000`],
      { env: { STATS_TOKENS: "acme-token acme", STATS_METRICS_TOKEN: "scrape-token" } },
    );
  });
  after(async () => {
    await server?.stop();
    pub?.close();
    await redis?.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { headers: { origin: DASHBOARD, ...headers } });

  it("a 401 (GraphQL GET and POST, REST, /metrics) carries CORS headers and a readable WWW-Authenticate", async (t) => {
    const answers = [
      await get(`/graphql?query=${encodeURIComponent("{ accounts }")}`, { accept: "application/json" }),
      await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { origin: DASHBOARD, "content-type": "application/json" },
        body: JSON.stringify({ query: "{ accounts }" }),
      }),
      await get(`/api/stats/track/acme/pageview/${YEAR}`),
      await get("/metrics"),
    ];
    for (const res of answers) {
      assert.equal(res.status, 401, res.url);
      assert.equal(res.headers.get("access-control-allow-origin"), DASHBOARD, res.url);
      assert.equal(res.headers.get("access-control-allow-credentials"), null, res.url);
      assert.match(res.headers.get("access-control-expose-headers") ?? "", /WWW-Authenticate/i, res.url);
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer realm=/, res.url);
      assert.match(res.headers.get("vary") ?? "", /Origin/, res.url);
      await res.body?.cancel();
    }
    t.diagnostic(`401 on ${answers.length} routes: Access-Control-Allow-Origin ${DASHBOARD}, WWW-Authenticate exposed`);
  });

  it("a 403 (another account) carries CORS and WWW-Authenticate insufficient_scope; the token's own account reads", async () => {
    const auth = { authorization: "Bearer acme-token" };
    const forbidden = await get(`/api/stats/track/other/pageview/${YEAR}`, auth);
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.headers.get("access-control-allow-origin"), DASHBOARD);
    assert.match(forbidden.headers.get("www-authenticate") ?? "", /error="insufficient_scope"/);
    await forbidden.body?.cancel();
    const ok = await get(`/api/stats/track/acme/pageview/${YEAR}`, auth);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), DASHBOARD);
    await ok.body?.cancel();
  });

  it("preflights allow Authorization for a listed origin; another origin gets no CORS headers", async (t) => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/graphql`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type",
        },
      });
    const listed = await preflight(DASHBOARD);
    assert.equal(listed.status, 204);
    assert.equal(listed.headers.get("access-control-allow-origin"), DASHBOARD);
    assert.match(listed.headers.get("access-control-allow-headers") ?? "", /authorization/i);
    const other = await preflight("https://evil.example");
    assert.equal(other.status, 204);
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    assert.equal(other.headers.get("access-control-allow-headers"), null);
    const read = await get(`/api/stats/track/acme/pageview/${YEAR}`, {
      origin: "https://evil.example",
      authorization: "Bearer acme-token",
    });
    assert.equal(read.status, 200, "the server answers; the browser will not let the page read it");
    assert.equal(read.headers.get("access-control-allow-origin"), null);
    await read.body?.cancel();
    t.diagnostic("--cors-origins: listed origin allowed with Authorization; other origin: no CORS headers");
  });

  it("--cors-origins also holds for WebSockets (which browsers do not check): another origin's upgrade is refused", async () => {
    const open = (origin: string) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(`${server.url.replace("http", "ws")}/graphql`, "graphql-transport-ws", { origin });
        socket.once("open", () => {
          socket.close();
          resolve("open");
        });
        socket.once("unexpected-response", (_req, res) => {
          resolve(String(res.statusCode));
          socket.terminate();
        });
        socket.once("error", () => resolve("error"));
      });
    assert.equal(await open(DASHBOARD), "open");
    assert.equal(await open("https://evil.example"), "403");
  });
});
