/**
 * Bad input never stalls ingestion: a seeded stream mixing random bytes, truncated JSON, 1 MB
 * frames, 3-frame messages, wrong types and names outside [A-Za-z0-9._-] with valid events.
 * The valid events are counted exactly, every drop is counted under its reason, and the
 * executable stays up.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { logLines, metric, type ServerProcess, spawnServer, trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { wiring } from "../helpers/service.js";
import { startPublisher, type TestPublisher } from "../helpers/zmq.js";

/** mulberry32: a small seeded PRNG, so a failure can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const SEED = Number(process.env["FUZZ_SEED"] ?? 20130905);
const ACCOUNTS = ["acme", "beta.co", "x_y-z", "all-but-not", "A9"];
const BAD_NAMES = ["a:b", "a*", "a{b}", "a b", "ümlaut", "名前", "a\u0000b", "", "x".repeat(129), "a/b", "*"];

type Message = string | Buffer | Array<string | Buffer>;
interface Case {
  message: Message;
  /** The drop reason expected in /metrics, or undefined for a valid event. */
  reason?: string;
  /** For valid pageviews: the account counted. */
  account?: string;
}

function generate(random: () => number, n: number): Case[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const json = (v: unknown) => `pageview ${JSON.stringify(v)}`;
  const bytes = (len: number, lo: number, hi: number) => {
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = lo + Math.floor(random() * (hi - lo));
    return b;
  };
  const valid = (): Case => {
    const account = pick(ACCOUNTS);
    return {
      message: json({ type: "pageview", time: "whenever", data: { account, note: "ünïcödé ok here", unq: "0" } }),
      account,
    };
  };
  const bad: Array<() => Case> = [
    // Bytes that are not text: no space and no `{`, or after a topic word.
    () => ({ message: bytes(1 + Math.floor(random() * 200), 0x80, 0x100), reason: "bad_json" }),
    () => ({ message: Buffer.concat([Buffer.from("pageview "), bytes(50, 0x80, 0x100)]), reason: "bad_json" }),
    () => ({ message: "", reason: "bad_json" }),
    () => {
      const full = json({ type: "pageview", data: { account: "acme" } });
      return { message: full.slice(0, 9 + Math.floor(random() * (full.length - 10))), reason: "bad_json" };
    },
    () => ({
      message: json({ type: "pageview", data: { account: "acme", pad: "x".repeat(1 << 20) } }),
      reason: "too_large",
    }),
    () => ({ message: bytes(1 << 20, 0, 0x100), reason: "too_large" }),
    () => ({
      message: ["pageview", JSON.stringify({ type: "pageview", data: { account: "acme" } }), "extra"],
      reason: "bad_frames",
    }),
    () => ({ message: "pageview [1,2,3]", reason: "not_object" }),
    () => ({ message: 'pageview "a string"', reason: "not_object" }),
    () => ({ message: "pageview null", reason: "not_object" }),
    () => ({ message: json({ data: { account: "acme" } }), reason: "missing_type" }),
    () => ({ message: json({ type: null, data: { account: "acme" } }), reason: "missing_type" }),
    () => ({ message: json({ type: 5, data: { account: "acme" } }), reason: "bad_type" }),
    () => ({ message: json({ type: ["pageview"], data: { account: "acme" } }), reason: "bad_type" }),
    () => ({
      message: json({ type: pick(BAD_NAMES.filter((x) => x !== "")), data: { account: "acme" } }),
      reason: "bad_type",
    }),
    () => ({ message: json({ type: "pageview" }), reason: "missing_account" }),
    () => ({ message: json({ type: "pageview", data: "acme" }), reason: "missing_account" }),
    () => ({ message: json({ type: "pageview", data: [] }), reason: "missing_account" }),
    () => ({ message: json({ type: "pageview", data: { account: 7 } }), reason: "bad_account" }),
    () => ({ message: json({ type: "pageview", data: { account: { a: 1 } } }), reason: "bad_account" }),
    () => {
      const name = pick(BAD_NAMES);
      return {
        message: json({ type: "pageview", data: { account: name } }),
        reason: name === "" ? "missing_account" : "bad_account",
      };
    },
    () => ({ message: json({ type: "order", data: { account: "acme", status: { s: 1 } } }), reason: "bad_status" }),
    () => ({
      message: json({ type: "order", data: { account: "acme", status: "s".repeat(200) } }),
      reason: "bad_status",
    }),
  ];
  const out: Case[] = [];
  for (let i = 0; i < n; i++) out.push(random() < 0.5 ? valid() : (pick(bad) as () => Case)());
  return out;
}

describe("ingest: bad input never stalls", () => {
  // Unset until `before` got that far: a `before` that fails part-way leaves the rest undefined.
  let redis: TestRedis | undefined;
  let pub: TestPublisher | undefined;
  let server: ServerProcess | undefined;
  let prefix = "";

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    prefix = redis.prefix();
    server = await spawnServer([...wiring(redis.url, pub.endpoint, prefix), "--flush-interval", "20ms"]);
    await pub.waitForSubscribers();
  });
  after(async () => {
    // Stops whatever was started, each part whatever became of the others: an open publisher or
    // redis-server would keep the test process from ever exiting.
    const stopped = await Promise.allSettled([
      (async () => server?.stop("SIGKILL"))(),
      (async () => pub?.close())(),
      (async () => redis?.stop())(),
    ]);
    for (const r of stopped) if (r.status === "rejected") throw r.reason;
  });

  it(`counts valid events exactly among 4 000 mixed messages (seed ${SEED})`, async () => {
    assert.ok(server && pub && redis, "set up by before()");
    const { url } = server;
    const cases = generate(prng(SEED), 4_000);
    for (const c of cases) await pub.send(c.message);

    const expectedDrops = new Map<string, number>();
    const expectedCounts = new Map<string, number>();
    for (const c of cases) {
      if (c.reason) expectedDrops.set(c.reason, (expectedDrops.get(c.reason) ?? 0) + 1);
      else if (c.account) expectedCounts.set(c.account, (expectedCounts.get(c.account) ?? 0) + 1);
    }
    const valid = cases.length - [...expectedDrops.values()].reduce((a, b) => a + b, 0);

    await eventually(
      async () => (await metric(url, "stats_events_received_total")) === cases.length,
      `all ${cases.length} messages received`,
      30_000,
    );
    await eventually(
      async () => (await metric(url, "stats_events_applied_total")) === valid,
      `${valid} valid events applied`,
      10_000,
    );
    for (const [reason, n] of expectedDrops) {
      assert.equal(await metric(server.url, `stats_events_dropped_total{reason="${reason}"}`), n, reason);
    }
    assert.equal(await metric(server.url, 'stats_events_dropped_total{reason="internal_error"}'), 0);
    for (const [account, n] of expectedCounts) {
      assert.equal(await trackTotal(redis.client, prefix, account), n, account);
    }
    assert.equal(await trackTotal(redis.client, prefix, "all"), valid);

    // Still up and healthy, and the log was not flooded: warnings are rate-limited.
    assert.equal(server.proc.exitCode, null);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    const warnings = logLines(server.stderr()).filter((l) => l["msg"] === "dropped malformed event");
    assert.ok(warnings.length > 0 && warnings.length <= 5 * expectedDrops.size, `${warnings.length} drop warnings`);
    assert.ok(server.stderr().length < 200_000, "the log holds no 1 MB payloads");
  });
});
