/**
 * API tokens on GraphQL, on every transport a client uses: POST and GET queries, SSE (by header,
 * or `?token=` as an EventSource must) and graphql-ws (token in the connection_init payload, or
 * on the upgrade request). A token reads its accounts, gets FORBIDDEN for others on queries and
 * subscriptions, sees only its accounts in `accounts` and in `increments` with no account; a
 * missing or bad token is a 401 over HTTP (SSE included) and a 4401 close on WebSocket.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { type AuthFixture, BAD_TOKEN, bearer, startAuthFixture, TOKENS } from "../helpers/auth.js";
import { eventually, sleep } from "../helpers/ports.js";
import { metricValue } from "../helpers/service.js";
import { order, pageview } from "../helpers/zmq.js";

interface GqlError {
  message: string;
  extensions?: { code?: string };
}
interface GqlResult {
  data?: Record<string, unknown> | null;
  errors?: GqlError[];
}
interface HttpGql {
  status: number;
  headers: Headers;
  body: GqlResult;
}

const STATS = 'query S($a: String!, $y: Int!) { stats(account: $a, event: "pageview", year: $y) { account total } }';
const FUNNEL = 'query F($a: String!, $y: Int!) { funnel(account: $a, event: "order", year: $y) { account total } }';
const LIVE_STATS =
  'subscription S($a: String!, $y: Int!) { stats(account: $a, event: "pageview", year: $y) { account total } }';
const LIVE_FUNNEL =
  'subscription F($a: String!, $y: Int!) { funnel(account: $a, event: "order", year: $y) { account total } }';
const INCREMENTS = "subscription I($a: String) { increments(account: $a) { account event count } }";

const codeOf = (r: GqlResult) => r.errors?.[0]?.extensions?.code;

describe("API tokens: GraphQL over HTTP, SSE and graphql-ws", () => {
  let f: AuthFixture;
  let url: string;
  let wsUrl: string;
  const clients: Client[] = [];
  const aborts: AbortController[] = [];

  const post = async (query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as GqlResult } satisfies HttpGql;
  };
  const get = async (
    query: string,
    variables: Record<string, unknown>,
    opts: { headers?: Record<string, string>; token?: string } = {},
  ): Promise<HttpGql> => {
    const params = new URLSearchParams({ query, variables: JSON.stringify(variables) });
    if (opts.token !== undefined) params.set("token", opts.token);
    const res = await fetch(`${url}/graphql?${params}`, { headers: { accept: "application/json", ...opts.headers } });
    return { status: res.status, headers: res.headers, body: (await res.json()) as GqlResult };
  };

  /** An EventSource-like SSE client: GET, no headers but Accept, the token in the URL. Resolves the first message. */
  const sse = async (
    query: string,
    variables: Record<string, unknown>,
    opts: { token?: string; headers?: Record<string, string>; onMessage?: (r: GqlResult) => void } = {},
  ): Promise<{ status: number; first: GqlResult | undefined; headers: Headers }> => {
    const params = new URLSearchParams({ query, variables: JSON.stringify(variables) });
    if (opts.token !== undefined) params.set("token", opts.token);
    const abort = new AbortController();
    aborts.push(abort);
    const res = await fetch(`${url}/graphql?${params}`, {
      headers: { accept: "text/event-stream", ...opts.headers },
      signal: abort.signal,
    });
    if (res.status !== 200 || !res.body) {
      return { status: res.status, first: (await res.json()) as GqlResult, headers: res.headers };
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let first: GqlResult | undefined;
    let gotFirst: () => void = () => {};
    const firstArrived = new Promise<void>((resolve) => {
      gotFirst = resolve;
    });
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return gotFirst();
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split("\n")
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(5).trim())
            .join("\n");
          if (!block.includes("event: next") || data === "") continue;
          const message = JSON.parse(data) as GqlResult;
          opts.onMessage?.(message);
          if (!first) {
            first = message;
            gotFirst();
          }
        }
      }
    })().catch(() => gotFirst());
    await firstArrived;
    return { status: res.status, first, headers: res.headers };
  };

  /** A graphql-ws client; `params` is the connection_init payload. */
  const wsClient = (
    params?: Record<string, unknown>,
    opts: { query?: string; headers?: Record<string, string> } = {},
  ) => {
    const headers = opts.headers;
    class WithHeaders extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, headers ? { headers } : {});
      }
    }
    const client = createClient({
      url: `${wsUrl}${opts.query ?? ""}`,
      webSocketImpl: WithHeaders,
      retryAttempts: 0,
      lazy: true,
      ...(params ? { connectionParams: params } : {}),
    });
    clients.push(client);
    return client;
  };

  /** The first message of a subscription, or its errors (operation errors arrive as an array). */
  const wsFirst = (client: Client, query: string, variables: Record<string, unknown>) =>
    new Promise<GqlResult>((resolve, reject) => {
      const stop = client.subscribe(
        { query, variables },
        {
          next: (r) => {
            stop();
            resolve(r as GqlResult);
          },
          error: (err) => (Array.isArray(err) ? resolve({ errors: err as GqlError[] }) : reject(err)),
          complete: () => {},
        },
      );
    });

  /** What the server does with a raw graphql-transport-ws connection: its close, or its ack. */
  const wsHandshake = (payload: unknown, opts: { query?: string; headers?: Record<string, string> } = {}) =>
    new Promise<{ code: number; reason: string } | "ack">((resolve, reject) => {
      const socket = new WebSocket(`${wsUrl}${opts.query ?? ""}`, "graphql-transport-ws", {
        ...(opts.headers ? { headers: opts.headers } : {}),
      });
      socket.on("open", () =>
        socket.send(
          JSON.stringify(payload === undefined ? { type: "connection_init" } : { type: "connection_init", payload }),
        ),
      );
      socket.on("message", (data: WebSocket.RawData) => {
        if ((JSON.parse(String(data)) as { type: string }).type === "connection_ack") {
          resolve("ack");
          socket.close(1000);
        }
      });
      socket.on("close", (code: number, reason: Buffer) => resolve({ code, reason: String(reason) }));
      socket.on("error", reject);
    });

  before(async () => {
    f = await startAuthFixture();
    url = f.service.url;
    wsUrl = `${url.replace(/^http/, "ws")}/graphql`;
  });
  after(async () => {
    for (const a of aborts) a.abort();
    await Promise.all(clients.map((c) => c.dispose()));
    await f.stop();
  });

  it("a token reads its account: POST, GET (header or ?token=), SSE (?token=), graphql-ws", async () => {
    const vars = { a: "acme", y: f.year };
    const expected = { stats: { account: "acme", total: 2 } };
    for (const r of [
      await post(STATS, vars, bearer(TOKENS.acme)),
      await get(STATS, vars, { headers: bearer(TOKENS.acme) }),
      await get(STATS, vars, { token: TOKENS.acme }),
      await post(STATS, vars, bearer(TOKENS.both)),
    ]) {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body, { data: expected });
    }
    const live = await sse(LIVE_STATS, vars, { token: TOKENS.acme });
    assert.equal(live.status, 200);
    assert.deepEqual(live.first, { data: expected });
    const liveByHeader = await sse(LIVE_STATS, vars, { headers: bearer(TOKENS.acme) });
    assert.deepEqual(liveByHeader.first, { data: expected });
    for (const params of [{ authorization: `Bearer ${TOKENS.acme}` }, { token: TOKENS.acme }]) {
      assert.deepEqual(await wsFirst(wsClient(params), LIVE_STATS, vars), { data: expected });
    }
    // Browsers cannot set headers on a WebSocket, but other clients can; and ?token= on the URL.
    assert.deepEqual(await wsFirst(wsClient(undefined, { headers: bearer(TOKENS.acme) }), LIVE_STATS, vars), {
      data: expected,
    });
    assert.deepEqual(await wsFirst(wsClient(undefined, { query: `?token=${TOKENS.acme}` }), LIVE_STATS, vars), {
      data: expected,
    });
  });

  it("a token is refused another account (FORBIDDEN) on queries, and `all` unless it is a * token", async () => {
    for (const [query, vars, token] of [
      [STATS, { a: "globex", y: f.year }, TOKENS.acme],
      [FUNNEL, { a: "globex", y: f.year }, TOKENS.acme],
      [STATS, { a: "all", y: f.year }, TOKENS.both],
      ["query E($a: String!) { events(account: $a) }", { a: "globex" }, TOKENS.acme],
      ['query Y($a: String!) { years(account: $a, event: "pageview") }', { a: "initech" }, TOKENS.both],
    ] as const) {
      for (const r of [await post(query, vars, bearer(token)), await get(query, vars, { token })]) {
        assert.equal(r.status, 200);
        assert.equal(codeOf(r.body), "FORBIDDEN", JSON.stringify(r.body));
        assert.match(r.body.errors?.[0]?.message ?? "", /this API token may not read account/);
        assert.equal(r.body.data, null);
      }
    }
    const admin = await post(STATS, { a: "all", y: f.year }, bearer(TOKENS.admin));
    assert.deepEqual(admin.body, { data: { stats: { account: "all", total: 6 } } });
  });

  it("top ranks every account: a scoped token gets FORBIDDEN (query, graphql-ws, SSE), a * token the ranking", async () => {
    const TOP = 'query T { top(event: "pageview", granularity: DAY, last: 1) { total accounts { account count } } }';
    const LIVE_TOP =
      'subscription T { top(event: "pageview", granularity: DAY, last: 1) { total accounts { account count } } }';
    for (const token of [TOKENS.acme, TOKENS.both]) {
      for (const r of [await post(TOP, {}, bearer(token)), await get(TOP, {}, { token })]) {
        assert.equal(r.status, 200);
        assert.equal(codeOf(r.body), "FORBIDDEN", JSON.stringify(r.body));
        assert.match(r.body.errors?.[0]?.message ?? "", /needs an API token that may read every account/);
        assert.equal(r.body.data, null);
      }
      const ws = await wsFirst(wsClient({ token }), LIVE_TOP, {});
      assert.equal(codeOf(ws), "FORBIDDEN", JSON.stringify(ws));
      const overSse = await sse(LIVE_TOP, {}, { token });
      assert.equal(codeOf(overSse.first ?? {}), "FORBIDDEN", JSON.stringify(overSse.first));
    }
    const ranking = {
      top: {
        total: 6,
        accounts: [
          { account: "globex", count: 3 },
          { account: "acme", count: 2 },
          { account: "initech", count: 1 },
        ],
      },
    };
    assert.deepEqual((await post(TOP, {}, bearer(TOKENS.admin))).body, { data: ranking });
    assert.deepEqual(await wsFirst(wsClient({ token: TOKENS.admin }), LIVE_TOP, {}), { data: ranking });
  });

  it("`accounts` lists a token's accounts only, and `all` only for a * token (cached answers included)", async () => {
    const accounts = async (token: string, how: "post" | "get" | "query") => {
      const r =
        how === "post"
          ? await post("{ accounts }", {}, bearer(token))
          : how === "get"
            ? await get("{ accounts }", {}, { headers: bearer(token) })
            : await get("{ accounts }", {}, { token });
      assert.equal(r.status, 200);
      return r.body.data?.["accounts"];
    };
    for (const how of ["get", "post", "query"] as const) {
      // The * token first, twice: the query cache keeps its answer, which no other token may get.
      assert.deepEqual(await accounts(TOKENS.admin, how), ["acme", "all", "globex", "initech"]);
      assert.deepEqual(await accounts(TOKENS.admin, how), ["acme", "all", "globex", "initech"]);
      assert.deepEqual(await accounts(TOKENS.acme, how), ["acme"]);
      assert.deepEqual(await accounts(TOKENS.both, how), ["acme", "globex"]);
    }
  });

  it("a token cannot subscribe to another account: FORBIDDEN over graphql-ws and SSE", async () => {
    const forbidden: Array<[string, Record<string, unknown>, string]> = [
      [LIVE_STATS, { a: "globex", y: f.year }, TOKENS.acme],
      [LIVE_FUNNEL, { a: "globex", y: f.year }, TOKENS.acme],
      [LIVE_STATS, { a: "all", y: f.year }, TOKENS.both],
      [INCREMENTS, { a: "globex" }, TOKENS.acme],
      [INCREMENTS, { a: "all" }, TOKENS.both],
    ];
    for (const [query, vars, token] of forbidden) {
      const ws = await wsFirst(wsClient({ token }), query, vars);
      assert.equal(codeOf(ws), "FORBIDDEN", JSON.stringify(ws));
      const overSse = await sse(query, vars, { token });
      assert.equal(overSse.status, 200);
      assert.equal(codeOf(overSse.first ?? {}), "FORBIDDEN", JSON.stringify(overSse.first));
    }
    // The same subscriptions for a token that may read them.
    const ok = await wsFirst(wsClient({ token: TOKENS.globex }), LIVE_FUNNEL, { a: "globex", y: f.year });
    assert.deepEqual(ok, { data: { funnel: { account: "globex", total: 1 } } });
  });

  it("increments(account: null) carries only the token's accounts (the * token gets every one)", async () => {
    const seen = { acmeWs: [] as string[], acmeSse: [] as string[], admin: [] as string[] };
    const collect = (into: string[]) => (r: GqlResult) => {
      const inc = r.data?.["increments"] as { account: string } | undefined;
      into.push(inc ? inc.account : `error:${codeOf(r)}`);
    };
    const open = async () => metricValue(await (await fetch(`${url}/metrics`)).text(), "stats_graphql_subscriptions");
    const before = await open();
    const subscribe = (client: Client, into: string[]) =>
      client.subscribe(
        { query: INCREMENTS, variables: {} },
        { next: collect(into), error: () => into.push("error"), complete: () => {} },
      );
    subscribe(wsClient({ authorization: `Bearer ${TOKENS.acme}` }), seen.acmeWs);
    subscribe(wsClient({ token: TOKENS.admin }), seen.admin);
    void sse(INCREMENTS, {}, { token: TOKENS.acme, onMessage: collect(seen.acmeSse) });
    await eventually(async () => (await open()) >= before + 3, "three increments subscriptions open");

    for (const m of [pageview("globex"), pageview("initech"), order("globex", "paid"), pageview("acme")]) {
      await f.pub.send(m);
    }
    await eventually(
      () => seen.acmeWs.includes("acme") && seen.acmeSse.includes("acme") && seen.admin.includes("acme"),
      "acme's increment on every subscription",
    );
    await sleep(300); // a dozen flush intervals: anything else that would come has come
    assert.deepEqual(new Set(seen.acmeWs), new Set(["acme"]), seen.acmeWs.join());
    assert.deepEqual(new Set(seen.acmeSse), new Set(["acme"]), seen.acmeSse.join());
    assert.deepEqual(new Set(seen.admin), new Set(["acme", "all", "globex", "initech"]), seen.admin.join());
  });

  it("a missing or bad token is a 401 on GraphQL over HTTP and SSE, and a 4401 close on WebSocket", async () => {
    const vars = { a: "acme", y: f.year };
    for (const [headers, token, message, challenge] of [
      [{}, undefined, /an API token is required/, 'Bearer realm="stats-server"'],
      [bearer(BAD_TOKEN), undefined, /invalid API token/, 'Bearer realm="stats-server", error="invalid_token"'],
      [{}, BAD_TOKEN, /invalid API token/, 'Bearer realm="stats-server", error="invalid_token"'],
      [{ authorization: "Basic YWNtZQ==" }, undefined, /invalid API token/, /invalid_token/],
    ] as const) {
      const what = JSON.stringify({ headers, token });
      const answers = [
        token === undefined ? await post(STATS, vars, headers) : undefined,
        await get(STATS, vars, token === undefined ? { headers } : { token }),
        // Introspection needs a token too.
        await get("{ __schema { queryType { name } } }", {}, token === undefined ? { headers } : { token }),
      ];
      const live = await sse(LIVE_STATS, vars, token === undefined ? { headers } : { token });
      answers.push({ status: live.status, headers: live.headers, body: live.first ?? {} });
      for (const r of answers) {
        if (!r) continue;
        assert.equal(r.status, 401, what);
        assert.equal(codeOf(r.body), "UNAUTHENTICATED", what);
        assert.match(r.body.errors?.[0]?.message ?? "", message, what);
        if (typeof challenge === "string") assert.equal(r.headers.get("www-authenticate"), challenge, what);
        else assert.match(r.headers.get("www-authenticate") ?? "", challenge, what);
      }
    }
    for (const [payload, opts] of [
      [undefined, {}],
      [{}, {}],
      [{ token: BAD_TOKEN }, {}],
      [{ authorization: `Bearer ${BAD_TOKEN}` }, {}],
      [{ authorization: TOKENS.acme }, {}], // not a Bearer credential
      [{ token: 12345678 }, {}],
      [undefined, { query: `?token=${BAD_TOKEN}` }],
      [undefined, { headers: bearer(BAD_TOKEN) }],
      // The payload decides when it carries a token: a bad one there is not rescued by the URL's.
      [{ token: BAD_TOKEN }, { query: `?token=${TOKENS.acme}` }],
    ] as const) {
      const closed = await wsHandshake(payload, opts);
      assert.notEqual(closed, "ack", JSON.stringify({ payload, opts }));
      if (closed === "ack") continue;
      assert.equal(closed.code, 4401, JSON.stringify({ payload, opts }));
      assert.match(closed.reason, /API token/);
    }
    assert.equal(await wsHandshake({ token: TOKENS.acme }), "ack");
    assert.equal(await wsHandshake(undefined, { headers: bearer(TOKENS.acme) }), "ack");
    // A graphql-ws client sees the close and gives up (4401 is fatal to it: no retry loop).
    await assert.rejects(wsFirst(wsClient({ token: BAD_TOKEN }), LIVE_STATS, vars), (err: { code?: number }) => {
      assert.equal(err.code, 4401);
      return true;
    });
  });

  it("GraphiQL's page, /healthz, /readyz and (without --metrics-token) /metrics stay open", async () => {
    const page = await fetch(`${url}/graphql`, { headers: { accept: "text/html" } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await page.text(), /GraphiQL/i);
    // Asking for data with text/html gets the page, never the data.
    const sneaky = await fetch(`${url}/graphql?query=${encodeURIComponent("{ accounts }")}`, {
      headers: { accept: "text/html" },
    });
    assert.doesNotMatch(await sneaky.text(), /initech/);
    for (const path of ["/healthz", "/readyz", "/metrics"])
      assert.equal((await fetch(`${url}${path}`)).status, 200, path);
  });
});
