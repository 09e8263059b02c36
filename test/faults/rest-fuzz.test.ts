/**
 * A seeded fuzz of the legacy REST API's request targets, against the real service on a real
 * redis-server: hostile paths (`..`, `%00`, `%2F`, globs, braces, `<script>`, unicode, very long
 * and very many segments, double slashes, encoded CR/LF) and query strings (hostile callbacks,
 * header injection attempts), with a few hostile Host headers and methods. Every answer must be
 * 200/400/404/405/414 — never a 500, never a crash — a valid JSON (or JSONP) body with the legacy
 * headers, and nothing in a body or header may carry markup, a raw CR/LF, NUL or U+2028/9.
 *
 * FUZZ_SEED=n replays a run (the seed is printed); FUZZ_REQUESTS=n changes how many are sent.
 */
import assert from "node:assert/strict";
import { Agent, type IncomingHttpHeaders, request } from "node:http";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { assertLegacyHeaders, type HttpAnswer } from "../helpers/rest-http.js";
import { startTestService } from "../helpers/service.js";

const SEED = Number(process.env["FUZZ_SEED"] ?? 20_131_105);
const REQUESTS = Number(process.env["FUZZ_REQUESTS"] ?? 3_000);
const PREFIX = "/api/stats";
const ALLOWED_STATUS = new Set([200, 400, 404, 405, 414]);
/** With API tokens on, also: no or a bad token (401), another account (403). */
const ALLOWED_STATUS_WITH_TOKENS = new Set([...ALLOWED_STATUS, 401, 403]);
/** Headers a REST answer may carry; anything else would be an injected one. */
const ALLOWED_HEADERS = new Set([
  // CORS on every answer (default --cors-origins *); checked to be exactly "*" below, never reflected.
  "access-control-allow-origin",
  "access-control-expose-headers",
  "allow",
  "cache-control",
  "connection",
  "content-length",
  "content-type",
  "date",
  "expires",
  "keep-alive",
  "pragma",
  "retry-after",
  "x-content-type-options",
  "www-authenticate",
]);
/** What must never come back raw: markup, line breaks (header/JS injection), NUL, JS line terminators. */
const UNSAFE = /[<>\r\n\0\u2028\u2029]/;

/** mulberry32: the same requests on every run with the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Path segments as sent on the wire (already percent-encoded where the raw byte cannot be sent). */
const HOSTILE_SEGMENTS = [
  "..",
  ".",
  "%2e%2e",
  "..%2F..%2Fetc%2Fpasswd",
  "%00",
  "acme%00",
  "%2F",
  "acme%2Fpageview",
  "%2f%2f",
  "*",
  "acme*",
  "%2A",
  "{",
  "}",
  "{tag}",
  "a{b}c",
  "<script>alert(1)</script>",
  "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
  "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
  "\"'`",
  "%22%27",
  "%0D%0ASet-Cookie:%20x=1",
  "%0d%0aX-Injected:%201",
  "%0A",
  "%E2%80%A8",
  "%E2%80%A9",
  "%C3%BCmlaut",
  "%E5%90%8D%E5%89%8D",
  "%F0%9F%98%80",
  "%ED%A0%80", // a lone surrogate: malformed UTF-8
  "%",
  "%zz",
  "%C3",
  "a:b",
  "track:acme",
  "\\",
  "|",
  "^",
  "~",
  "$",
  "+",
  "-1",
  "1e3",
  "0x10",
  "00000000000000000000000000000002026",
  "99999999999999999999",
  "2026.5",
  "%20",
  "track",
  "funnels",
  "all",
];
/** Routes that answer 200 with links and data (see before()). */
const DATA_ROUTES = [
  ["track", "acme", "pageview", "2026", "11", "28", "3"],
  ["funnels", "acme", "order", "2026", "11", "28"],
];
const GOOD = ["track", "funnels", "acme", "pageview", "order", "2026", "11", "02", "28", "3", "all"];
const CALLBACKS = [
  "cb",
  "jQuery123.done",
  "<script>",
  "%3Cscript%3E",
  "a%0D%0ASet-Cookie:x",
  "a%E2%80%A8b",
  "alert(1)",
  "a.b.",
  "%00",
  "x".repeat(200),
  "",
];
const QUERY_EXTRAS = ["_=1385142398118", "a=%00", "b=%0D%0A", "c=<d>", "&&", "=", "callback", "token=%3Cx%3E"];
const METHODS = [...Array<string>(14).fill("GET"), "HEAD", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];
const HOSTS = [undefined, undefined, undefined, "<script>", 'a"b', "x".repeat(300), "evil.example:99999999", "[::1"];

interface Case {
  method: string;
  target: string;
  host: string | undefined;
  headers?: Record<string, string>;
}

function generate(random: () => number, n: number): Case[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const segment = () => {
    const r = random();
    if (r < 0.45) return pick(HOSTILE_SEGMENTS);
    if (r < 0.85) return pick(GOOD);
    if (r < 0.93) return "a".repeat(1 + Math.floor(random() * 3_000)); // very long
    return ""; // a double slash
  };
  const cases: Case[] = [];
  for (let i = 0; i < n; i++) {
    const segments: string[] = [];
    const many = random() < 0.05;
    const count = many ? 20 + Math.floor(random() * 400) : Math.floor(random() * 9);
    if (!many && random() < 0.35) {
      // A route that has data, cut at some depth, maybe with one segment made hostile: the fuzz
      // reaches every level's 200 (links, data, escaped funnel statuses) and its near misses.
      const route = pick(DATA_ROUTES);
      segments.push(...route.slice(0, 1 + Math.floor(random() * route.length)));
      if (random() < 0.5) segments[Math.floor(random() * segments.length)] = segment();
    } else {
      // Mostly well-formed heads, so the fuzz reaches the deeper routes too.
      if (!many && random() < 0.6) segments.push(pick(["track", "funnels"]), pick(["acme", "all"]));
      while (segments.length < count) segments.push(many ? pick(["a", "..", "", "%2F"]) : segment());
    }
    let target = `${PREFIX}/${segments.join("/")}`;
    if (random() < 0.08) target = target.replace(PREFIX, pick(["", "/api", `${PREFIX}/`, `/${PREFIX}`]));
    if (random() < 0.25) target += `/`;
    const params: string[] = [];
    if (random() < 0.4) params.push(`callback=${pick(CALLBACKS)}`);
    if (random() < 0.3) params.push(pick(QUERY_EXTRAS));
    if (random() < 0.05) params.push(`callback=${pick(CALLBACKS)}`);
    if (params.length > 0) target += `?${params.join("&")}`;
    if (random() < 0.03) target += "#frag<x>";
    cases.push({ method: pick(METHODS), target, host: random() < 0.1 ? pick(HOSTS) : undefined });
  }
  return cases;
}

function send(base: URL, c: Case, agent: Agent): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        method: c.method,
        path: c.target,
        agent,
        headers: { ...c.headers, ...(c.host === undefined ? {} : { host: c.host }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** Under the prefix: the legacy contract (headers, JSON or JSONP). Elsewhere: the app's JSON 404. */
function check(c: Case, a: HttpAnswer, allowed: ReadonlySet<number>): void {
  const sent = `${c.method} ${c.target}${c.host === undefined ? "" : ` (Host ${c.host})`} ${JSON.stringify(c.headers ?? {})}`;
  const what = `${sent} → ${a.status} ${a.body.slice(0, 200)}`;
  assert.ok(allowed.has(a.status), what);
  if (a.status === 401) assert.match(String(a.headers["www-authenticate"]), /^Bearer realm="stats-server"/, what);
  assert.doesNotMatch(a.body, UNSAFE, what);
  for (const [name, value] of Object.entries(a.headers as IncomingHttpHeaders)) {
    assert.doesNotMatch(String(value), UNSAFE, `${what}: header ${name}`);
  }
  const path = c.target.split("?")[0] as string;
  const rest = path === PREFIX || path.startsWith(`${PREFIX}/`);
  if (!rest) {
    // The app's own answers: its index at `/`, a JSON 404 elsewhere.
    assert.equal(a.status, path === "/" ? 200 : 404, what);
    if (path === "/") return;
    if (c.method !== "HEAD") assert.deepEqual(JSON.parse(a.body), { error: "not found" }, what);
    return;
  }
  for (const name of Object.keys(a.headers)) assert.ok(ALLOWED_HEADERS.has(name), `${what}: header ${name}`);
  assert.equal(a.headers["access-control-allow-origin"], "*", `${what}: CORS`);
  const jsonp = a.headers["content-type"] === "text/javascript";
  if (c.method === "HEAD") {
    assert.equal(a.body, "", what);
    return;
  }
  assertLegacyHeaders(a, jsonp ? "text/javascript" : "application/json");
  if (jsonp) {
    assert.equal(a.status, 200, what);
    const m = /^\/\*\*\/([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\((.*)\)$/s.exec(a.body);
    assert.ok(m, what);
    JSON.parse(m[2] as string);
    return;
  }
  const body = JSON.parse(a.body) as Record<string, unknown>;
  if (a.status === 200)
    assert.deepEqual(Object.keys(body), ["type", "account", "event", "year", "month", "day", "links", "data"], what);
  else assert.deepEqual(Object.keys(body), ["error"], what);
}

/** Sends the cases 8 at a time, checks each answer, and prints the figure: requests sent and statuses. */
async function fuzz(
  t: { diagnostic(message: string): void },
  base: URL,
  cases: readonly Case[],
  allowed: ReadonlySet<number>,
): Promise<Map<number, number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const histogram = new Map<number, number>();
  let sent = 0;
  try {
    const worker = async () => {
      while (sent < cases.length) {
        const c = cases[sent++] as Case;
        const a = await send(base, c, agent);
        histogram.set(a.status, (histogram.get(a.status) ?? 0) + 1);
        check(c, a, allowed);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  } finally {
    agent.destroy();
    const counts = [...histogram].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
    t.diagnostic(
      `seed ${SEED} (FUZZ_SEED=${SEED} replays): ${sent} of ${cases.length} requests sent; status ${counts.join(" ")}`,
    );
  }
  return histogram;
}

/** Each case with a credential: a good token (every account, or acme only), none, or a hostile one. */
function withTokens(random: () => number, cases: Case[]): Case[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const hostile = [
    "<script>alert(1)</script>",
    "%3Cscript%3E",
    "a%0D%0ASet-Cookie:%20x=1",
    "%E2%80%A8",
    "%C3%A9%C3%A8",
    "x".repeat(3_000),
    "",
  ];
  return cases.map((c) => {
    const r = random();
    if (r < 0.3) return { ...c, headers: { authorization: `Bearer ${FUZZ_TOKENS.all}` } };
    if (r < 0.5) return { ...c, headers: { authorization: `Bearer ${FUZZ_TOKENS.acme}` } };
    if (r < 0.6) return c;
    if (r < 0.75) return { ...c, headers: { authorization: `${pick(["Bearer ", "Basic ", ""])}${pick(hostile)}` } };
    const [path, query] = c.target.split("?") as [string, string | undefined];
    const token = pick([...hostile, FUZZ_TOKENS.all]);
    return { ...c, target: `${path}?${query === undefined ? "" : `${query}&`}token=${token}` };
  });
}

const FUZZ_TOKENS = { all: "fuzz-all-0000", acme: "fuzz-acme-1111" };

/** One request written byte for byte (what a client library would refuse to send). */
function raw(base: URL, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(base.port), base.hostname);
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error("no answer within 5 s")));
    socket.write(Buffer.from(bytes, "latin1"));
  });
}

describe("REST fuzz: hostile paths, callbacks and URLs", () => {
  let redis: TestRedis;
  let service: Service;
  let base: URL;
  let prefix: string;

  before(async () => {
    redis = await startRedis();
    prefix = redis.prefix();
    service = await startTestService(["--role", "api", "--redis", redis.url, "--key-prefix", prefix]);
    base = new URL(service.url);
    await eventually(async () => (await fetch(`${service.url}/readyz`)).status === 200, "the service ready");
    // Enough data that the fuzz also meets 200s with links and data on every level.
    const r = redis.client;
    await r.sadd(`${prefix}index:track:accounts`, "acme", "all");
    await r.sadd(`${prefix}index:funnels:accounts`, "acme", "all");
    await r.sadd(`${prefix}index:track:events:acme`, "pageview");
    await r.sadd(`${prefix}index:track:years:acme:pageview`, "2026");
    await r.hincrby(`${prefix}track:acme:pageview:2026`, "11", 3);
    await r.hincrby(`${prefix}track:acme:pageview:2026:11`, "28", 3);
    await r.hincrby(`${prefix}track:acme:pageview:2026:11:28`, "3", 3);
    await r.sadd(`${prefix}index:funnels:events:acme`, "order");
    await r.sadd(`${prefix}index:funnels:years:acme:order`, "2026");
    // A status written by hand (the 2013 service stored any string): markup that must come back escaped.
    for (const key of ["2026", "2026:11", "2026:11:28"]) {
      await r.hincrby(`${prefix}funnels:acme:order:${key}`, '<b>"&\u2028</b>', 1);
    }
  });
  after(async () => {
    await service.stop();
    await redis.stop();
  });

  it(`answers every hostile request with a clean 200/400/404/405/414 (seed ${SEED})`, async (t) => {
    const histogram = await fuzz(t, base, generate(prng(SEED), REQUESTS), ALLOWED_STATUS);
    // The fuzz reached every kind of answer, not just one wall of 404s.
    for (const status of [200, 400, 404, 405]) assert.ok((histogram.get(status) ?? 0) > 0, `no ${status} answers`);
    const alive = await fetch(`${service.url}${PREFIX}/track/acme/pageview/2026`);
    assert.equal(alive.status, 200);
    assert.equal(((await alive.json()) as { data: unknown }).data !== null, true);
  });

  it(`with API tokens: missing or hostile tokens get a clean 401, never reflected; good ones reach the routes (seed ${SEED})`, async (t) => {
    const tokened = await startTestService([
      "--role",
      "api",
      "--redis",
      redis.url,
      "--key-prefix",
      prefix,
      "--tokens",
      `${FUZZ_TOKENS.all} *; ${FUZZ_TOKENS.acme} acme`,
    ]);
    try {
      // Started just now: its Redis connection may still be opening (a 503 is right then, but not here).
      await eventually(async () => (await fetch(`${tokened.url}/readyz`)).status === 200, "the service ready");
      const random = prng(SEED + 1);
      const cases = withTokens(random, generate(random, Math.ceil(REQUESTS / 2)));
      const histogram = await fuzz(t, new URL(tokened.url), cases, ALLOWED_STATUS_WITH_TOKENS);
      for (const status of [200, 401, 403]) assert.ok((histogram.get(status) ?? 0) > 0, `no ${status} answers`);
    } finally {
      await tokened.stop();
    }
  });

  it("refuses a 5 KB URL with 414 JSON, and Node refuses a 20 KB one with 431; the server survives", async (t) => {
    const agent = new Agent({ keepAlive: false });
    try {
      const five = `${PREFIX}/track/acme/${"%3Cscript%3E".repeat(430)}`;
      assert.ok(five.length > 5_000);
      const a = await send(base, { method: "GET", target: five, host: undefined }, agent);
      assert.equal(a.status, 414);
      assertLegacyHeaders(a);
      assert.deepEqual(JSON.parse(a.body), { error: "request URL longer than 4096 characters" });
      // Node's parser stops at its header limit (16 KiB by default) before any handler runs: 431, no body.
      const twenty = `${PREFIX}/track/${"a".repeat(20_000)}`;
      const b = await send(base, { method: "GET", target: twenty, host: undefined }, agent);
      assert.equal(b.status, 431);
      t.diagnostic(`5 KB URL → ${a.status} (JSON); 20 KB URL → ${b.status} (Node's own answer)`);
    } finally {
      agent.destroy();
    }
    assert.equal((await fetch(`${service.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${service.url}${PREFIX}/track/acme/pageview/2026`)).status, 200);
  });

  it("raw bytes no client library sends (NUL, bare CR, non-ASCII) are refused by Node's parser, never reflected", async () => {
    for (const line of [
      `GET ${PREFIX}/track/a\0b HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET ${PREFIX}/track/\u00fcml\u00e4ut<script> HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET ${PREFIX}/track/acme HTTP/1.1\r\nHost: x\r\nX-Bad: a\rb\r\n\r\n`,
    ]) {
      const answer = await raw(base, line);
      assert.match(answer, /^HTTP\/1\.1 400 /, JSON.stringify(line));
      assert.doesNotMatch(answer, /script|X-Bad|\u00fc/, JSON.stringify(line));
    }
    assert.equal((await fetch(`${service.url}/healthz`)).status, 200);
  });
});
