/**
 * GraphQL limits, each met by a request just at it (answered) and one just over it (refused
 * with a clear error, never a 500), over HTTP and over graphql-ws alike: depth, aliases, tokens,
 * cost, body / message size, batch size, operations per WebSocket connection, time to
 * connection_init; introspection and field suggestions off together; CSRF prevention — also
 * for answers the query cache holds.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Lexer, Source, TokenKind } from "graphql";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import type { Service } from "../../src/commands/serve.js";
import { sleep } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService, testConfig } from "../helpers/service.js";
import { startPublisher, type TestPublisher } from "../helpers/zmq.js";
import { openRawWs, overWs, postJson, type Result, wsUrl } from "./graphql-clients.js";

const tokens = (query: string) => {
  const lexer = new Lexer(new Source(query));
  let n = 0;
  while (lexer.advance().kind !== TokenKind.EOF) n++;
  return n;
};
const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: accounts`).join(" ")} }`;
const errorText = (r: Result) => (r.errors ?? []).map((e) => e.message).join("; ");

/** Answered: data, no errors. */
function assertAnswered(r: Result, what: string) {
  assert.equal(r.errors, undefined, `${what}: ${errorText(r)}`);
  assert.ok(r.data, what);
}
/** Refused with this message, as a client-error code. */
function assertRefused(r: Result, message: RegExp, what: string) {
  assert.equal(r.data, undefined, `${what}: no data`);
  assert.match(errorText(r), message, what);
  const code = r.errors?.[0]?.extensions?.["code"];
  assert.ok(code === "BAD_USER_INPUT" || code === "GRAPHQL_PARSE_FAILED", `${what}: code ${String(code)}`);
}

/** Over HTTP (POST, through the query cache) and over graphql-ws, the same answer. */
async function bothTransports(url: string, query: string): Promise<{ http: Result; ws: Result }> {
  const http = await postJson(url, { query });
  assert.equal(http.status, 200, http.text);
  return { http: http.body, ws: await overWs(url, query) };
}

describe("GraphQL limits (HTTP and WebSocket alike)", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  /** Small limits for depth, aliases, batch, operations per connection and init time; the default body size. */
  let limited: Service;
  /** Tokens and cost, set to exactly what the queries below need. */
  let budget: Service;
  /** --introspection=false, every other limit at its default. */
  let closed: Service;

  // Cost (Armor's formula: object field 2, scalar 1, each level ×1.5): stats 2 + 1.5 × (total 1 +
  // segments (2 + 1.5 × (key 1 + count 1))) = 11; one more scalar beside total adds 1.5.
  const COST_AT = `{ stats(account: "acme", event: "pageview", year: 2020) { total segments { key count } } }`;
  const COST_OVER = `{ stats(account: "acme", event: "pageview", year: 2020) { total year segments { key count } } }`;
  const TOKENS_AT = `{ stats(account: "acme", event: "pageview", year: 2020, month: 1, day: 1) { total } }`;
  const TOKENS_OVER = `{ stats(account: "acme", event: "pageview", year: 2020, month: 1, day: 1) { total __typename } }`;

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    const common = ["--redis", redis.url, "--zmq", pub.endpoint];
    limited = await startTestService([
      ...common,
      "--key-prefix",
      redis.prefix(),
      "--max-query-depth",
      "3",
      "--max-query-aliases",
      "4",
      "--max-batch-operations",
      "3",
      "--max-ws-operations",
      "3",
      "--ws-init-timeout",
      "1s",
      "--csrf-prevention",
    ]);
    assert.equal(tokens(TOKENS_OVER), tokens(TOKENS_AT) + 1);
    assert.ok(tokens(COST_OVER) <= tokens(TOKENS_AT), "the cost queries are within the token limit");
    budget = await startTestService([
      ...common,
      "--key-prefix",
      redis.prefix(),
      "--max-query-tokens",
      String(tokens(TOKENS_AT)),
      "--max-query-cost",
      "11",
    ]);
    closed = await startTestService([
      ...common,
      "--key-prefix",
      redis.prefix(),
      "--introspection=false",
      "--csrf-prevention=false",
    ]);
  });
  after(async () => {
    await Promise.all([limited?.stop(), budget?.stop(), closed?.stop()]);
    pub?.close();
    await redis?.stop();
  });

  it("depth: 3 levels are answered, 4 are refused", async (t) => {
    const at = `{ stats(account: "acme", event: "pageview", year: 2020) { segments { key } } }`;
    const over = `{ stats(account: "acme", event: "pageview", year: 2020) { segments { ... on Segment { key } } } }`;
    for (const [transport, r] of Object.entries(await bothTransports(limited.url, at))) assertAnswered(r, transport);
    const refused = await bothTransports(limited.url, over);
    for (const [transport, r] of Object.entries(refused))
      assertRefused(r, /depth limit of 3 exceeded, found 4/, transport);
    t.diagnostic(`--max-query-depth 3: depth 3 answered; depth 4 → "${errorText(refused.http)}"`);
  });

  it("aliases: 4 are answered, 5 are refused", async (t) => {
    for (const [transport, r] of Object.entries(await bothTransports(limited.url, aliases(4))))
      assertAnswered(r, transport);
    const refused = await bothTransports(limited.url, aliases(5));
    for (const [transport, r] of Object.entries(refused))
      assertRefused(r, /Aliases limit of 4 exceeded, found 5/, transport);
    t.diagnostic(`--max-query-aliases 4: 4 answered; 5 → "${errorText(refused.http)}"`);
  });

  it("tokens: a document of exactly the limit is answered, one token more is refused while parsing", async (t) => {
    const limit = tokens(TOKENS_AT);
    for (const [transport, r] of Object.entries(await bothTransports(budget.url, TOKENS_AT)))
      assertAnswered(r, transport);
    const refused = await bothTransports(budget.url, TOKENS_OVER);
    for (const [transport, r] of Object.entries(refused))
      assertRefused(r, new RegExp(`Token limit of ${limit} exceeded`), transport);
    t.diagnostic(`--max-query-tokens ${limit}: ${limit} tokens answered; ${limit + 1} → "${errorText(refused.http)}"`);
  });

  it("cost: an operation costing exactly the limit is answered, one scalar more is refused", async (t) => {
    for (const [transport, r] of Object.entries(await bothTransports(budget.url, COST_AT)))
      assertAnswered(r, transport);
    const refused = await bothTransports(budget.url, COST_OVER);
    for (const [transport, r] of Object.entries(refused))
      assertRefused(r, /Cost limit of 11 exceeded, found 12\.5/, transport);
    t.diagnostic(`--max-query-cost 11: cost 11 answered; cost 12.5 → "${errorText(refused.http)}"`);
  });

  it("body size: a POST of exactly the default 102400 bytes is answered, one byte more is a 413", async (t) => {
    const limit = testConfig().graphql.maxRequestBytes;
    assert.equal(limit, 102_400, "the documented default");
    // Whitespace inside the query pads the body without adding tokens.
    const sized = (bytes: number) => {
      const bare = JSON.stringify({ query: "{ accounts }" });
      return JSON.stringify({ query: `{ accounts ${" ".repeat(bytes - bare.length)}}` });
    };
    assert.equal(Buffer.byteLength(sized(limit)), limit);
    const at = await postJson(limited.url, sized(limit));
    assert.equal(at.status, 200, at.text);
    assertAnswered(at.body, "at the limit");
    // Twice: once read by the query cache, once more in case an answer were kept for it.
    for (let i = 0; i < 2; i++) {
      const over = await postJson(limited.url, sized(limit + 1));
      assert.equal(over.status, 413, over.text);
      assert.equal(over.body.errors?.[0]?.extensions?.["code"], "REQUEST_ENTITY_TOO_LARGE");
    }
    // Yoga's own check (SSE subscriptions do not go through the cache) answers the same.
    const sse = await fetch(`${limited.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: sized(limit + 1),
    });
    assert.equal(sse.status, 413);
    await sse.body?.cancel();
    t.diagnostic(`--max-request-body ${limit}: ${limit} bytes answered (200); ${limit + 1} bytes → 413`);
  });

  it("message size: a graphql-ws message of exactly the limit is answered, one byte more closes with 1009", async (t) => {
    const limit = testConfig().graphql.maxRequestBytes;
    const message = (bytes: number) => {
      const bare = JSON.stringify({ id: "1", type: "subscribe", payload: { query: "{ accounts }" } });
      return JSON.stringify({
        id: "1",
        type: "subscribe",
        payload: { query: `{ accounts ${" ".repeat(bytes - bare.length)}}` },
      });
    };
    const ok = await openRawWs(limited.url);
    ok.send({ type: "connection_init" });
    await ok.next("connection_ack");
    assert.equal(Buffer.byteLength(message(limit)), limit);
    ok.socket.send(message(limit));
    const answered = await ok.next("next", "1");
    assert.deepEqual(Object.keys((answered.payload as Result).data ?? {}), ["accounts"]);
    ok.socket.close();

    const big = await openRawWs(limited.url);
    big.send({ type: "connection_init" });
    await big.next("connection_ack");
    big.socket.send(message(limit + 1));
    const { code } = await big.closed;
    assert.equal(code, 1009, "Message Too Big");
    t.diagnostic(`graphql-ws: ${limit}-byte message answered; ${limit + 1} bytes → close code ${code}`);
  });

  it("batching: 3 operations in one request are answered, 4 are a 413 (every time)", async (t) => {
    const ops = (n: number) => Array.from({ length: n }, () => ({ query: "{ accounts }" }));
    const at = await postJson(limited.url, ops(3));
    assert.equal(at.status, 200, at.text);
    const answers = JSON.parse(at.text) as Result[];
    assert.equal(answers.length, 3);
    for (const a of answers) assertAnswered(a, "batched");
    for (let i = 0; i < 2; i++) {
      const over = await postJson(limited.url, ops(4));
      assert.equal(over.status, 413, over.text);
      assert.match(errorText(over.body), /Batching is limited to 3 operations per request/);
    }
    t.diagnostic("--max-batch-operations 3: 3 answered; 4 → 413 Batching is limited to 3 operations per request.");
  });

  it("operations per graphql-ws connection: 3 run, the 4th gets an error, the connection stays", async (t) => {
    const client = createClient({ url: wsUrl(limited.url), webSocketImpl: WebSocket, retryAttempts: 0 });
    const year = new Date().getUTCFullYear();
    const live = (account: string) => {
      const got: Result[] = [];
      let settle: (r: Result) => void = () => {};
      const first = new Promise<Result>((resolve) => {
        settle = resolve;
      });
      const stop = client.subscribe(
        { query: `subscription { stats(account: "${account}", event: "pageview", year: ${year}) { total } }` },
        {
          next: (r) => {
            got.push(r as Result);
            settle(r as Result);
          },
          error: (err) => settle({ errors: Array.isArray(err) ? err : [{ message: String(err) }] }),
          complete: () => {},
        },
      );
      return { first, stop, got };
    };
    try {
      const running = [live("a"), live("b"), live("c")];
      for (const s of running) assertAnswered(await s.first, "within the limit");
      const fourth = live("d");
      assert.match(errorText(await fourth.first), /at most 3 may run at once/);
      // The connection is still there: end one, and a new one fits. (The complete goes first on the
      // same socket, and the server forgets the operation as it reads it: no wait needed.)
      running[0]?.stop();
      const fifth = live("e");
      assertAnswered(await fifth.first, "after one ended");
      t.diagnostic('--max-ws-operations 3: 3 subscriptions run; the 4th → "too many operations on this connection"');
      fifth.stop();
      for (const s of running) s.stop();
    } finally {
      await client.dispose();
    }
  });

  it("connection_init: sent within the timeout is acknowledged, none at all closes with 4408 after it", async (t) => {
    const timeoutMs = 1_000;
    const silent = await openRawWs(limited.url);
    const opened = Date.now();
    const late = await openRawWs(limited.url);
    await sleep(timeoutMs * 0.7);
    late.send({ type: "connection_init" });
    await late.next("connection_ack");
    const { code, reason, at } = await silent.closed;
    assert.equal(code, 4408);
    assert.match(reason, /initialisation timeout/i);
    const waited = at - opened;
    assert.ok(waited >= timeoutMs - 50 && waited < timeoutMs + 1_000, `closed after ${waited} ms`);
    // Its own timer was due about when the silent one's fired: a ping answered after that shows it
    // did not close this one.
    late.send({ type: "ping" });
    await late.next("pong");
    assert.equal(late.socket.readyState, WebSocket.OPEN, "the one that did init is still open");
    late.socket.close();
    t.diagnostic(`--ws-init-timeout 1s: init at 700 ms acknowledged; no init → 4408 after ${waited} ms`);
  });

  it("introspection off: __schema is refused and field suggestions are masked, on both transports", async (t) => {
    const introspect = "{ __schema { queryType { name } } }";
    const typo = "{ acounts }";
    // On (the default): GraphiQL's introspection works and errors suggest the right field.
    for (const [transport, r] of Object.entries(await bothTransports(limited.url, introspect)))
      assertAnswered(r, transport);
    for (const r of Object.values(await bothTransports(limited.url, typo)))
      assert.match(errorText(r), /Did you mean "accounts"\?/);
    // Off.
    for (const [transport, r] of Object.entries(await bothTransports(closed.url, introspect))) {
      assert.equal(r.data, undefined, transport);
      assert.match(errorText(r), /introspection has been disabled/, transport);
    }
    const masked = await bothTransports(closed.url, typo);
    for (const [transport, r] of Object.entries(masked)) {
      assert.match(errorText(r), /Cannot query field "acounts"/, transport);
      assert.doesNotMatch(errorText(r), /Did you mean|"accounts"/, transport);
    }
    for (const [transport, r] of Object.entries(await bothTransports(closed.url, "{ __typename accounts }")))
      assertAnswered(r, transport);
    t.diagnostic(`--introspection=false: __schema refused; "{ acounts }" → "${errorText(masked.http)}"`);
  });

  it("CSRF: a GET or form POST without a preflighted header is a 403, even for an answer the cache holds", async (t) => {
    const get = (headers: Record<string, string>) =>
      fetch(`${limited.url}/graphql?${new URLSearchParams({ query: "{ accounts }" })}`, {
        headers: { accept: "application/json", ...headers },
      });
    // Answered (and kept by the query cache) for a client that sends the header...
    for (const header of ["x-graphql-yoga-csrf", "apollo-require-preflight"]) {
      const ok = await get({ [header]: "1" });
      assert.equal(ok.status, 200, header);
      assert.deepEqual(((await ok.json()) as Result).data, { accounts: [] });
    }
    // ...but not for the same GET without it.
    for (let i = 0; i < 2; i++) {
      const refused = await get({});
      assert.equal(refused.status, 403);
      // The 403 says which headers pass.
      assert.match(
        await refused.text(),
        /Required CSRF header.*x-graphql-yoga-csrf, apollo-require-preflight, authorization/,
      );
    }
    const form = await fetch(`${limited.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: "query=%7B%20accounts%20%7D",
    });
    assert.equal(form.status, 403);
    await form.body?.cancel();
    // JSON is preflighted by browsers: allowed as it is.
    assert.equal((await postJson(limited.url, { query: "{ accounts }" })).status, 200);
    t.diagnostic("CSRF: GET without x-graphql-yoga-csrf → 403 (also after a cached 200); form POST → 403");
  });

  it("CSRF prevention off (the default): a header-less GET (a browser EventSource) is answered", async (t) => {
    const url = `${closed.url}/graphql?${new URLSearchParams({ query: "{ accounts }" })}`;
    for (let i = 0; i < 2; i++) {
      const res = await fetch(url, { headers: { accept: "application/json" } });
      assert.equal(res.status, 200);
      assert.deepEqual(((await res.json()) as Result).data, { accounts: [] });
    }
    t.diagnostic("CSRF prevention off: GET without a preflight header → 200");
  });
});
