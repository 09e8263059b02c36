/**
 * The README's client snippets (examples/clients/), run as written against a running service
 * process with each library's default settings: the example events go on the bus exactly as the
 * README shows them; urql and Apollo query; Apollo and EventSource subscribe; curl and JSONP read.
 * Also what a browser app and a Prometheus server check: CORS on REST, metric names.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { runInNewContext } from "node:vm";
import { createClient as createSseClient } from "graphql-sse";
import { createApollo, LIVE_PAGEVIEWS, PAGEVIEWS } from "../../examples/clients/apollo.js";
import { watchPageviews as watchWithEventSource } from "../../examples/clients/eventsource.js";
import { pageviews } from "../../examples/clients/urql.js";
import { type ServerProcess, spawnServer } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { lintExposition, parseExposition } from "../helpers/promlint.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { wiring } from "../helpers/service.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

const run = promisify(execFile);
const YEAR = new Date().getUTCFullYear();
const example = (name: string) => new URL(`../../examples/clients/${name}`, import.meta.url);

interface RestAnswer {
  account: string;
  year: string;
  data: Record<string, number> | null;
}

describe("the README's clients against a running service", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let server: ServerProcess;
  let rest: (path: string) => Promise<RestAnswer>;
  const sum = (a: RestAnswer) => Object.values(a.data ?? {}).reduce((s, n) => s + n, 0);

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    server = await spawnServer(wiring(redis.url, pub.endpoint, redis.prefix()));
    await pub.waitForSubscribers(1);
    rest = async (path) => (await (await fetch(`${server.url}/api/stats/${path}`)).json()) as RestAnswer;
  });
  after(async () => {
    await server?.stop();
    pub?.close();
    await redis?.stop();
  });

  it("the example events, sent exactly as the README shows them, are counted", async (t) => {
    const lines = readFileSync(example("events.txt"), "utf8").trim().split("\n");
    for (const line of lines) await pub.send(line);
    await eventually(async () => sum(await rest(`track/acme/pageview/${YEAR}`)) === 1, "the pageview counted");
    await eventually(async () => sum(await rest(`track/acme/unique/${YEAR}`)) === 1, "unq 1: also a unique");
    await eventually(async () => (await rest(`funnels/acme/order/${YEAR}`)).data?.["paid"] === 1, "the paid order");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.doesNotMatch(metrics, /^stats_events_dropped_total\{.*\} [1-9]/m, "nothing dropped");
    t.diagnostic(`${lines.length} README events → pageview 1, unique 1, order{paid} 1; none dropped`);
  });

  it("urql with its default settings (queries by GET) reads the counts", async (t) => {
    const before = (await pageviews(`${server.url}/graphql`, YEAR)).total;
    for (let i = 0; i < 2; i++) await pub.send(pageview("acme"));
    const later = await eventually(async () => {
      const stats = await pageviews(`${server.url}/graphql`, YEAR);
      return stats.total === before + 2 ? stats : undefined;
    }, "urql to see 2 more pageviews");
    assert.ok(later);
    assert.equal(later.segments.length, 12);
    assert.equal(later.segments[new Date().getUTCMonth()]?.count, later.total);
    t.diagnostic(`urql (GET, no extra header): total ${before} → ${later.total}`);
  });

  it("Apollo Client: a query over HTTP and a subscription over GraphQLWsLink", async (t) => {
    const apollo = createApollo(`${server.url}/graphql`, `${server.url.replace("http", "ws")}/graphql`);
    const totals: number[] = [];
    const sub = apollo.subscribe({ query: LIVE_PAGEVIEWS, variables: { year: YEAR } }).subscribe({
      next: ({ data }) => data && totals.push((data as { stats: { total: number } }).stats.total),
    });
    try {
      const queried = await apollo.query({ query: PAGEVIEWS, variables: { year: YEAR }, fetchPolicy: "network-only" });
      const total = (queried.data as { stats: { total: number } }).stats.total;
      await eventually(() => totals[0] === total, "Apollo's subscription snapshot");
      await pub.send(pageview("acme"));
      await eventually(() => totals[totals.length - 1] === total + 1, "Apollo's subscription update");
      t.diagnostic(`Apollo: query total ${total}; subscription ${JSON.stringify(totals)}`);
    } finally {
      sub.unsubscribe();
      // graphql-ws (lazy) closes its socket once no subscription is left.
      apollo.stop();
    }
  });

  it("EventSource (addEventListener('next')) gets the current state, then updates", async (t) => {
    const current = sum(await rest(`track/acme/pageview/${YEAR}`));
    const totals: number[] = [];
    const stop = watchWithEventSource(`${server.url}/graphql`, YEAR, (n) => totals.push(n));
    try {
      await eventually(() => totals[0] === current, "the EventSource snapshot");
      await pub.send(pageview("acme"));
      await eventually(() => totals[totals.length - 1] === current + 1, "an EventSource update");
      t.diagnostic(`EventSource: ${JSON.stringify(totals)}`);
    } finally {
      stop();
    }
  });

  it("curl: the README's commands, one-shot and live", async (t) => {
    const current = sum(await rest(`track/acme/pageview/${YEAR}`));
    const env = { ...process.env, STATS: server.url };
    const { stdout } = await run("sh", [example("curl.sh").pathname], { env, timeout: 20_000 });
    const [graphql, json, jsonp] = stdout.trim().split("\n");
    assert.deepEqual(JSON.parse(graphql as string), { data: { stats: { total: current } } });
    assert.equal(sum(JSON.parse(json as string) as RestAnswer), current);
    assert.equal(jsonp, `/**/showStats(${json})`);

    const live = execFile("sh", [example("curl-live.sh").pathname], { env });
    let out = "";
    live.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
    });
    try {
      await eventually(() => out.includes("event: next"), "curl's first event");
      assert.match(out, new RegExp(`data: \\{"data":\\{"stats":\\{"total":${current}\\}\\}\\}`));
    } finally {
      live.kill();
    }
    t.diagnostic(`curl: GraphQL GET, REST, JSONP and a live stream all say ${current}`);
  });

  it("JSONP: the README's page calls its callback with the REST answer", async () => {
    const html = readFileSync(example("jsonp.html"), "utf8");
    const inline = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] as string;
    const src = /<script src="([^"]+)"><\/script>/.exec(html)?.[1] as string;
    const url = src.replace("http://localhost:8001", server.url).replace(/\/2026\?/, `/${YEAR}?`);
    const script = await (await fetch(url)).text();
    const element = { textContent: "" };
    const page = { document: { getElementById: (id: string) => (id === "pageviews" ? element : undefined) } };
    runInNewContext(`${inline}\n${script}`, page);
    const current = sum(await rest(`track/acme/pageview/${YEAR}`));
    assert.equal(element.textContent, `acme: ${current} pageviews in ${YEAR}`);
  });

  it("CORS on REST: a cross-origin GET is readable, a preflight with Authorization is allowed", async (t) => {
    const origin = "https://dashboard.example";
    const res = await fetch(`${server.url}/api/stats/track/acme/pageview/${YEAR}`, { headers: { origin } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.equal(res.headers.get("access-control-allow-credentials"), null, "never with credentials");
    await res.body?.cancel();
    for (const path of [`/api/stats/track/acme/pageview/${YEAR}`, "/graphql", "/metrics"]) {
      const pre = await fetch(`${server.url}${path}`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": path === "/graphql" ? "POST" : "GET",
          "access-control-request-headers": "authorization, content-type",
        },
      });
      assert.equal(pre.status, 204, path);
      assert.equal(pre.headers.get("access-control-allow-origin"), "*", path);
      assert.match(pre.headers.get("access-control-allow-headers") ?? "", /authorization/i, path);
      assert.match(pre.headers.get("access-control-allow-methods") ?? "", /GET.*POST/, path);
    }
    const missing = await fetch(`${server.url}/api/stats/nope`, { headers: { origin } });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get("access-control-allow-origin"), "*", "errors carry CORS too");
    await missing.body?.cancel();
    t.diagnostic("CORS: REST 200 and 404 with Access-Control-Allow-Origin *; preflights 204 allow Authorization");
  });

  it("graphql-sse's single connection mode is refused with a message saying so", async () => {
    const client = createSseClient({ url: `${server.url}/graphql`, singleConnection: true, retryAttempts: 0 });
    try {
      const error = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: `subscription { increments { count } }` },
          { next: () => {}, error: resolve, complete: () => resolve(undefined) },
        );
      });
      assert.match(String((error as Error)?.message), /405: graphql-sse single connection mode is not supported/);
    } finally {
      client.dispose();
    }
  });

  it("/metrics passes promtool's naming rules, with the standard process_* and nodejs_* names", async (t) => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.deepEqual(lintExposition(text), []);
    const names = parseExposition(text).map((f) => f.name);
    for (const standard of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "process_start_time_seconds",
      "nodejs_eventloop_lag_seconds",
      "nodejs_heap_size_used_bytes",
      "nodejs_gc_duration_seconds",
    ]) {
      assert.ok(names.includes(standard), standard);
    }
    const ours = names.filter((n) => !n.startsWith("process_") && !n.startsWith("nodejs_"));
    assert.deepEqual(
      ours.filter((n) => !n.startsWith("stats_") || n.startsWith("stats_process_")),
      [],
      "every other metric is stats_*, prefixed once",
    );
    // promtool itself too, where it is installed (Debian: apt-get install prometheus).
    const promtool = spawnSync("promtool", ["check", "metrics"], { input: text, timeout: 10_000, encoding: "utf8" });
    if (!promtool.error)
      assert.equal(promtool.status, 0, `promtool check metrics: ${promtool.stdout}${promtool.stderr}`);
    t.diagnostic(
      `${names.length} metric families, 0 problems by promlint's rules; promtool ${promtool.error ? "not installed" : "passed"}`,
    );
  });
});
