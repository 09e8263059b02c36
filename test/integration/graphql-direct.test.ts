/**
 * The direct executed path (src/graphql/transport/direct-query.ts) answers exactly as Yoga's HTTP
 * handler does. Each case is sent twice against a real redis-server: once with a document the
 * service already knows (taken by the direct path) and once with the same document made new by
 * a trailing comment (taken by Yoga, which sees every document first). Status, Content-Type and
 * body must be identical; `stats_graphql_queries_total{answered_by}` shows which path answered.
 * Every request carries unique variables, so no answer comes from the cache.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import type { Service } from "../../src/commands/serve.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService } from "../helpers/service.js";

const STATS =
  "query Month($account: String!, $event: String!, $year: Int!, $month: Int) { stats(account: $account, event: $event, year: $year, month: $month) { account month granularity total segments { key count } } }";
const LISTING = '{ accounts events(account: "acme") }';

/** acme's pageviews per day of November 2026, as seeded; the month's total follows from them. */
const NOVEMBER: Record<string, number> = Object.fromEntries(
  Array.from({ length: 30 }, (_, i) => [String(i + 1), 1000 + (i + 1) * 37]),
);
const NOVEMBER_TOTAL = Object.values(NOVEMBER).reduce((a, b) => a + b, 0);

interface Answer {
  status: number;
  type: string | null;
  body: string;
}

describe("GraphQL direct executed path", () => {
  let redis: TestRedis;
  let service: Service;
  let url: string;
  let n = 0;
  let fresh = 0;

  before(async () => {
    redis = await startRedis();
    const prefix = redis.prefix();
    const seed = new Redis(redis.url);
    await seed.hset(`${prefix}track:acme:pageview:2026:11`, NOVEMBER);
    await seed.hset(`${prefix}track:acme:pageview:2026`, { 11: 45_000 });
    await seed.sadd(`${prefix}index:track:accounts`, "acme");
    await seed.sadd(`${prefix}index:track:events:acme`, "pageview");
    seed.disconnect();
    service = await startTestService(["--role", "api", "--redis", redis.url, "--key-prefix", prefix]);
    url = service.url;
  });

  after(async () => {
    await service?.stop();
    await redis?.stop();
  });

  async function send(
    method: "GET" | "POST",
    query: string,
    variables: Record<string, unknown>,
    accept?: string,
  ): Promise<Answer> {
    const vars = { ...variables, n: n++ };
    const headers: Record<string, string> = accept === undefined ? {} : { accept };
    const res =
      method === "POST"
        ? await fetch(`${url}/graphql`, {
            method,
            headers: { ...headers, "content-type": "application/json" },
            body: JSON.stringify({ query, variables: vars }),
          })
        : await fetch(`${url}/graphql?${new URLSearchParams({ query, variables: JSON.stringify(vars) })}`, {
            headers: { ...headers, "x-graphql-yoga-csrf": "1" },
          });
    return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
  }

  async function answeredBy(): Promise<Record<string, number>> {
    const text = await (await fetch(`${url}/metrics`)).text();
    const counts: Record<string, number> = {};
    for (const m of text.matchAll(/^stats_graphql_queries_total\{answered_by="(\w+)"\} (\d+)$/gm))
      counts[m[1] as string] = Number(m[2]);
    return counts;
  }

  /** The same request through the direct path and through Yoga; the two answers must be equal. */
  async function bothPaths(method: "GET" | "POST", query: string, variables: Record<string, unknown>, accept?: string) {
    await send(method, query, { ...variables }, accept); // Yoga learns the document (if it had no errors)
    const before = await answeredBy();
    const direct = await send(method, query, variables, accept);
    const mid = await answeredBy();
    const viaYoga = await send(method, `${query}\n# ${fresh++}`, variables, accept);
    const afterwards = await answeredBy();
    assert.deepEqual(viaYoga, direct, `${method} ${accept ?? "(no Accept)"}`);
    return {
      direct,
      tookDirect: (mid["direct"] ?? 0) - (before["direct"] ?? 0) === 1,
      tookYoga: (afterwards["yoga"] ?? 0) - (mid["yoga"] ?? 0) === 1,
    };
  }

  it("a month of stats: same status, type and bytes by POST and GET, for each Accept that means JSON", async () => {
    const vars = { account: "acme", event: "pageview", year: 2026, month: 11 };
    for (const method of ["POST", "GET"] as const) {
      for (const accept of [undefined, "application/json", "*/*", "application/json, */*;q=0.5"]) {
        const r = await bothPaths(method, STATS, vars, accept);
        assert.ok(r.tookDirect, `${method} ${accept}: the known document took the direct path`);
        assert.ok(r.tookYoga, `${method} ${accept}: the new document went through Yoga`);
        assert.equal(r.direct.status, 200);
        assert.equal(r.direct.type, "application/json; charset=utf-8");
        const body = JSON.parse(r.direct.body) as { data: { stats: { total: number; segments: unknown[] } } };
        assert.equal(body.data.stats.total, NOVEMBER_TOTAL);
        assert.equal(body.data.stats.segments.length, Object.keys(NOVEMBER).length);
      }
    }
  });

  it("listings: the same answer by both paths", async () => {
    const r = await bothPaths("POST", LISTING, {}, "application/json");
    assert.ok(r.tookDirect);
    assert.deepEqual(JSON.parse(r.direct.body), { data: { accounts: ["acme"], events: ["pageview"] } });
  });

  it("a bad argument on a known document: the same BAD_USER_INPUT answer as Yoga's", async () => {
    const bad = { account: "acme", event: "pageview", year: 2026, month: 13 };
    const r = await bothPaths("POST", STATS, bad, "application/json");
    assert.ok(r.tookDirect, "executed directly; its errors serialised by Yoga's result processor");
    const body = JSON.parse(r.direct.body) as { errors: Array<{ extensions: { code: string } }> };
    assert.equal(body.errors[0]?.extensions.code, "BAD_USER_INPUT");
  });

  it("what the direct path leaves to Yoga: graphql-response+json, batches, unknown and invalid documents", async () => {
    const vars = { account: "acme", event: "pageview", year: 2026, month: 11 };
    const before = await answeredBy();
    const typed = await send("POST", STATS, vars, "application/graphql-response+json");
    assert.equal(typed.type, "application/graphql-response+json; charset=utf-8");
    const batch = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify([{ query: STATS, variables: vars }]),
    });
    assert.equal(batch.status, 200);
    const invalid = await send("POST", "{ stats { nope } }", {}, "application/json");
    assert.match(invalid.body, /"errors"/);
    const afterwards = await answeredBy();
    assert.equal((afterwards["direct"] ?? 0) - (before["direct"] ?? 0), 0, "none of these took the direct path");
  });

  it("a POST whose body comes in pieces after its headers is read whole, and the same request is then answered from the cache", async () => {
    const body = JSON.stringify({
      query: STATS,
      variables: { account: "acme", event: "pageview", year: 2026, month: 11, slow: 1 },
    });
    const { host, hostname, port } = new URL(url);
    const slowPost = () =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), hostname);
        let answer = "";
        socket.setEncoding("utf8");
        socket.on("data", (d: string) => {
          answer += d;
          if (/\r\n\r\n[\s\S]*\}$/.test(answer)) socket.end();
        });
        socket.on("end", () => resolve(answer));
        socket.on("error", reject);
        const half = Math.floor(body.length / 2);
        const pieces = [
          `POST /graphql HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nAccept: application/json\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
          body.slice(0, half),
          body.slice(half),
        ];
        // Each piece once the last is handed to the kernel and the event loop has turned (the
        // service runs in this process: it reads in between), not after a while.
        const next = () => {
          const piece = pieces.shift();
          if (piece !== undefined) socket.write(piece, () => setImmediate(next));
        };
        next();
      });
    const before = await answeredBy();
    const answers = [await slowPost(), await slowPost(), await slowPost()];
    for (const a of answers) {
      assert.match(a, /^HTTP\/1\.1 200 /, a);
      const json = JSON.parse(a.slice(a.indexOf("\r\n\r\n") + 4)) as { data: { stats: { total: number } } };
      assert.equal(json.data.stats.total, NOVEMBER_TOTAL);
    }
    const afterwards = await answeredBy();
    assert.equal(
      (afterwards["cache"] ?? 0) - (before["cache"] ?? 0),
      1,
      "the third was a cache hit (kept from the second asking)",
    );
  });
});
