/**
 * The GraphQL front (src/graphql/transport/http-front.ts) answers exactly as Yoga's HTTP handler
 * does, by every road. Against a real redis-server, two services (CSRF prevention off and on, a
 * small body limit), one matrix: paths × methods × content types × the Accept lists real clients
 * send × cases (a month of stats, variables that do not coerce, an operationName that names
 * nothing, a resolver fault, a body over the limit). Each request is sent
 * - cold: its document is new, so the front hands it to Yoga — the reference;
 * - again once its document is known (another request taught it), which the front answers itself
 *   where Yoga would give one result (the known query, compiled);
 * - a third time, which the answer cache serves when the answer was a 200 without errors.
 * Status, Content-Type and body must be equal every time; `stats_graphql_queries_total{answered_by}`
 * shows which road answered, and the test requires the fast road where every real client is
 * meant to get it. Requests are raw node:http requests, so "no Accept header" means none.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import type { Service } from "../../src/commands/serve.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService } from "../helpers/service.js";

/** acme's pageviews per day of November 2026, as seeded; the month's total follows from them. */
const NOVEMBER: Record<string, number> = Object.fromEntries(
  Array.from({ length: 30 }, (_, i) => [String(i + 1), 1000 + (i + 1) * 37]),
);
const NOVEMBER_TOTAL = Object.values(NOVEMBER).reduce((a, b) => a + b, 0);

const STATS =
  "query Month($account: String!, $event: String!, $year: Int!, $month: Int) { stats(account: $account, event: $event, year: $year, month: $month) { account month granularity total segments { key count } } }";
const GOOD = { account: "acme", event: "pageview", year: 2026, month: 11 };
/** The body limit of both services (--max-request-body). */
const LIMIT = 2048;

/** What the clients send (none: no Accept header at all). */
const ACCEPTS: Record<string, string | undefined> = {
  apollo: "application/graphql-response+json,application/json;q=0.9",
  urql: "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed",
  "graphql-request": "application/graphql-response+json, application/json",
  "graphql-http": "application/graphql-response+json, application/json",
  json: "application/json",
  none: undefined,
};

interface Case {
  variables: Record<string, unknown>;
  operationName?: string;
}

const CASES: Record<string, Case> = {
  ok: { variables: GOOD },
  "variables that do not coerce": { variables: { ...GOOD, month: "eleven" } },
  "an operationName that names nothing": { variables: GOOD, operationName: "Nope" },
  // A WRONGTYPE reply from Redis: an unexpected fault, masked.
  "a resolver fault": { variables: { ...GOOD, account: "broken" } },
  "a body over the limit": { variables: { ...GOOD, padding: "x".repeat(LIMIT) } },
};

interface Answer {
  status: number;
  type: string | undefined;
  body: string;
}

interface Sent {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: string | undefined;
  /** Sent without a Content-Length (chunked). */
  chunked?: boolean;
}

function send(base: string, r: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...r.headers };
    if (r.body !== undefined && !r.chunked) headers["content-length"] = Buffer.byteLength(r.body);
    const req = request(`${base}${r.path}`, { method: r.method, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (r.body !== undefined) {
      if (r.chunked) {
        // In pieces, so node:http sends it chunked and the server reads it as it comes.
        for (let i = 0; i < r.body.length; i += 512) req.write(r.body.slice(i, i + 512));
      } else req.write(r.body);
    }
    req.end();
  });
}

describe("GraphQL front: the same answer by every road", () => {
  let redis: TestRedis;
  const services: Record<"off" | "on", Service | undefined> = { off: undefined, on: undefined };
  let cell = 0;

  before(async () => {
    redis = await startRedis();
    const prefix = redis.prefix();
    const seed = new Redis(redis.url);
    await seed.hset(`${prefix}track:acme:pageview:2026:11`, NOVEMBER);
    await seed.set(`${prefix}track:broken:pageview:2026:11`, "not a hash");
    seed.disconnect();
    const flags = ["--role", "api", "--redis", redis.url, "--key-prefix", prefix, "--max-request-body", String(LIMIT)];
    services.off = await startTestService(flags);
    services.on = await startTestService([...flags, "--csrf-prevention"]);
  });

  after(async () => {
    await services.off?.stop();
    await services.on?.stop();
    await redis?.stop();
  });

  async function answeredBy(base: string): Promise<Record<string, number>> {
    const text = await (await fetch(`${base}/metrics`)).text();
    const counts: Record<string, number> = {};
    for (const m of text.matchAll(/^stats_graphql_queries_total\{answered_by="(\w+)"\} (\d+)$/gm))
      counts[m[1] as string] = Number(m[2]);
    return counts;
  }
  const delta = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(
      Object.keys(b).flatMap((k) => ((b[k] ?? 0) > (a[k] ?? 0) ? [[k, (b[k] ?? 0) - (a[k] ?? 0)]] : [])),
    );

  /** A request for `query` as `method` ("GET+csrf": a GET with Yoga's CSRF header). */
  function build(
    method: string,
    path: string,
    contentType: string,
    accept: string | undefined,
    query: string,
    c: Case,
  ): Sent {
    const headers: Record<string, string> = accept === undefined ? {} : { accept };
    const params = { query, variables: c.variables, ...(c.operationName ? { operationName: c.operationName } : {}) };
    if (method.startsWith("GET")) {
      if (method === "GET+csrf") headers["x-graphql-yoga-csrf"] = "1";
      const search = new URLSearchParams({ query, variables: JSON.stringify(c.variables) });
      if (c.operationName) search.set("operationName", c.operationName);
      return { method: "GET", path: `${path}?${search}`, headers };
    }
    return { method: "POST", path, headers: { ...headers, "content-type": contentType }, body: JSON.stringify(params) };
  }

  /**
   * One cell: cold, then (once a valid request taught the document) twice more. Returns the
   * answer and which road answered the two warm requests.
   */
  async function roads(base: string, make: (query: string) => Sent, label: string) {
    const query = `${STATS}\n# cell ${cell++}`;
    const r = make(query);
    const cold = await send(base, r);
    const taught = await send(base, {
      method: "POST",
      path: "/graphql",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query, variables: { ...GOOD, taught: 1 } }),
    });
    assert.equal(taught.status, 200, `${label}: the document is taught`);
    const m0 = await answeredBy(base);
    const known = await send(base, r);
    const m1 = await answeredBy(base);
    const again = await send(base, r);
    const m2 = await answeredBy(base);
    assert.deepEqual(known, cold, `${label}: once its document is known`);
    assert.deepEqual(again, cold, `${label}: asked again`);
    return { answer: cold, known: delta(m0, m1), again: delta(m1, m2) };
  }

  for (const csrf of ["off", "on"] as const) {
    it(`/graphql, CSRF prevention ${csrf}: every method, Accept list and case`, async () => {
      const base = (services[csrf] as Service).url;
      for (const method of ["GET", "GET+csrf", "POST"]) {
        for (const [client, accept] of Object.entries(ACCEPTS)) {
          for (const [name, c] of Object.entries(CASES)) {
            if (method !== "POST" && name === "a body over the limit") continue;
            const label = `CSRF ${csrf} ${method} ${client} ${name}`;
            const { answer, known, again } = await roads(
              base,
              (q) => build(method, "/graphql", "application/json", accept, q, c),
              label,
            );
            const refused = csrf === "on" && method === "GET";
            const typed = accept?.startsWith("application/graphql-response+json") ?? false;
            const type = `${typed ? "application/graphql-response+json" : "application/json"}; charset=utf-8`;
            if (refused) {
              assert.equal(answer.status, 403, label);
              continue;
            }
            if (name === "ok") {
              assert.equal(answer.status, 200, label);
              assert.equal(answer.type, type, label);
              assert.equal(
                (JSON.parse(answer.body) as { data: { stats: { total: number } } }).data.stats.total,
                NOVEMBER_TOTAL,
              );
              // Every real client's request takes the fast road: executed known, then from memory.
              assert.deepEqual(known, { direct: 1 }, `${label}: executed on the fast road`);
              assert.deepEqual(again, { cache: 1 }, `${label}: served from the answer cache`);
            } else if (name === "variables that do not coerce") {
              // A request error (GraphQL over HTTP): Yoga answers 400 under either media type.
              assert.equal(answer.status, 400, label);
              assert.equal(answer.type, type, label);
              assert.deepEqual(known, { direct: 1 }, `${label}: executed on the fast road`);
            } else if (name === "a resolver fault") {
              const body = JSON.parse(answer.body) as { errors: Array<{ message: string; extensions: unknown }> };
              assert.deepEqual(
                body.errors.map((e) => [e.message, e.extensions]),
                [["Unexpected error.", { code: "INTERNAL_SERVER_ERROR" }]],
                label,
              );
              assert.equal(answer.type, type, label);
              assert.deepEqual(known, { direct: 1 }, `${label}: executed on the fast road`);
            } else if (name === "a body over the limit") {
              assert.equal(answer.status, 413, label);
            } else {
              assert.ok(answer.status >= 400 || answer.body.includes('"errors"'), label);
            }
          }
        }
      }
    });
  }

  it("other paths and content types: the same answer by every road (Yoga's: these never take the fast road)", async () => {
    for (const csrf of ["off", "on"] as const) {
      const base = (services[csrf] as Service).url;
      for (const [client, accept] of Object.entries(ACCEPTS)) {
        for (const path of ["/graphql/x", "/graphqlx", "/graphql/"]) {
          for (const method of ["GET+csrf", "POST"]) {
            const label = `CSRF ${csrf} ${method} ${path} ${client}`;
            const r = await roads(
              base,
              (q) => build(method, path, "application/json", accept, q, CASES["ok"] as Case),
              label,
            );
            if (path !== "/graphql/") assert.equal(r.answer.status, 404, label);
          }
        }
        for (const type of [
          "application/json; charset=utf-8",
          "application/graphql+json",
          "application/jsonx",
          "text/plain",
          "application/x-www-form-urlencoded",
        ]) {
          const label = `CSRF ${csrf} POST ${type} ${client}`;
          await roads(base, (q) => build("POST", "/graphql", type, accept, q, CASES["ok"] as Case), label);
        }
      }
    }
  });

  it("a body over the limit without a Content-Length: Yoga's 413, in the words it gives one with a Content-Length", async () => {
    const base = (services.off as Service).url;
    for (const [client, accept] of Object.entries(ACCEPTS)) {
      const r = build("POST", "/graphql", "application/json", accept, STATS, CASES["a body over the limit"] as Case);
      const declared = await send(base, r);
      const chunked = await send(base, { ...r, chunked: true });
      assert.equal(declared.status, 413, client);
      assert.deepEqual(chunked, declared, client);
    }
  });
});
