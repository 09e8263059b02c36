import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Config, ConfigError, helpText, OPTIONS, parseConfig } from "../../src/config.js";

const parse = (argv: string[], env: Record<string, string> = {}): Config => {
  const c = parseConfig(argv, env);
  assert.notEqual(c, "help");
  return c as Config;
};
const fails = (argv: string[], pattern: RegExp, env: Record<string, string> = {}) =>
  assert.throws(
    () => parseConfig(argv, env),
    (e: unknown) => e instanceof ConfigError && pattern.test(e.message),
  );

describe("config", () => {
  it("defaults follow the old service", () => {
    const c = parse([]);
    assert.deepEqual(c.zmq, ["tcp://127.0.0.1:6000"]);
    assert.deepEqual(c.topics, [""]);
    assert.equal(c.redis, "redis://localhost:6379");
    assert.deepEqual(c.http, { host: "localhost", port: 8001 });
    assert.equal(c.pathPrefix, "/api/stats");
    assert.deepEqual(c.trackEvents, ["pageview"]);
    assert.deepEqual(c.funnelEvents, ["order"]);
    assert.equal(c.flushIntervalMs, 100);
    assert.equal(c.minuteRetentionSeconds, 30 * 86_400);
    assert.equal(c.store, "redis");
    assert.equal(c.pubsub, "redis");
    assert.equal(c.role, "all");
    assert.equal(c.timeSource, "receive");
    assert.equal(c.command, "serve");
  });
  it("accepts the old service's flags, also Go's single-dash form", () => {
    const c = parse([
      "-zmqsocket=tcp://10.0.0.1:6000",
      "--redishost",
      "db:6380",
      "-httphost",
      ":8091",
      "--pathprefix=/stats/",
      "--topic",
      "pageview",
      "--topic",
      "order",
    ]);
    assert.deepEqual(c.zmq, ["tcp://10.0.0.1:6000"]);
    assert.equal(c.redis, "redis://db:6380");
    assert.deepEqual(c.http, { host: "0.0.0.0", port: 8091 });
    assert.equal(c.pathPrefix, "/stats");
    assert.deepEqual(c.topics, ["pageview", "order"]);
  });
  it("several endpoints, by repetition or commas", () => {
    assert.deepEqual(parse(["--zmq", "tcp://a:1,tcp://b:2", "--zmq", "ipc:///tmp/s"]).zmq, [
      "tcp://a:1",
      "tcp://b:2",
      "ipc:///tmp/s",
    ]);
  });
  it("environment variables, overridden by flags", () => {
    const env = {
      STATS_REDIS: "redis://envhost:1",
      STATS_FLUSH_INTERVAL: "2s",
      STATS_SHARD: "1/4",
    };
    const c = parse([], env);
    assert.equal(c.redis, "redis://envhost:1");
    assert.equal(c.flushIntervalMs, 2000);
    assert.deepEqual(c.shard, { index: 1, count: 4 });
    const m = parse([], { STATS_STORE: "memory" });
    assert.equal(m.store, "memory");
    assert.equal(m.pubsub, "memory", "pubsub follows the store");
    assert.equal(parse(["--redis", "redis://flag:2"], env).redis, "redis://flag:2");
  });
  it("durations take units; a bare number is the option's documented unit", () => {
    assert.equal(parse(["--flush-interval", "250"]).flushIntervalMs, 250);
    assert.equal(parse(["--minute-retention", "3600"]).minuteRetentionSeconds, 3600);
    assert.equal(parse(["--minute-retention", "2h"]).minuteRetentionSeconds, 7200);
  });
  it("the reindex command", () => {
    assert.equal(parse(["reindex", "--redis", "redis://x:1"]).command, "reindex");
  });
  it("bad flags and values fail with a one-line reason", () => {
    fails(["--zmqsocket", "127.0.0.1:6000"], /--zmq endpoint "127.0.0.1:6000" must look like tcp:\/\//);
    fails(["--bogus"], /unknown option --bogus/);
    fails(["--store", "disk"], /--store must be one of redis, memory/);
    fails(["--flush-interval", "soon"], /--flush-interval must be a duration/);
    fails(["--flush-interval", "0ms"], /--flush-interval/);
    fails(["--http", "8001"], /--http must be host:port/);
    fails(["--http", "h:99999"], /--http/);
    fails(["--redis", "localhost"], /--redis must be a redis:\/\/ URL/);
    fails(["--shard", "2/2"], /--shard must be i\/n/);
    fails(["--track-events", "page view"], /not a name/);
    fails(["--track-events", ".."], /not only dots/);
    fails(["--event-years", "1900-"], /--event-years must be FROM-TO/);
    fails(["--heartbeat-ttl", "50ms"], /--heartbeat-ttl must be between 100ms and 6553s/);
    fails(["--heartbeat-ttl", "2h"], /--heartbeat-ttl/);
    assert.equal(parse([]).heartbeatTtlMs, 60_000);
    fails(["--event-years", "2020-2010"], /--event-years/);
    assert.deepEqual(parse(["--event-years", "2010-2030"]).eventYears, { min: 2010, max: 2030 });
    assert.deepEqual(parse([]).eventYears, { min: 2000, max: undefined });
    fails(["--redis"], /--redis needs a value/);
    fails(["serve"], /unexpected argument "serve"/);
    fails([], /--role must be one of/, { STATS_ROLE: "both" });
    for (const argv of [["--bogus"], ["--store", "disk"], ["--zmq", "x"]]) {
      try {
        parseConfig(argv, {});
      } catch (e) {
        assert.ok(!(e as Error).message.includes("\n"), "one line");
      }
    }
  });
  it("--shard has an upper bound of 1,024", () => {
    assert.deepEqual(parse(["--shard", "1023/1024"]).shard, { index: 1023, count: 1024 });
    fails(["--shard", "0/30000000"], /--shard must be i\/n with 0 ≤ i < n ≤ 1024, got "0\/30000000"/);
    fails(["--shard", "0/1025"], /≤ 1024/);
  });
  it("contradictory flags are refused with a one-line reason", () => {
    const cases: Array<[string[], RegExp, Record<string, string>?]> = [
      [["--store", "memory", "--role", "ingest"], /--store memory with --role ingest/],
      [["--store", "memory", "--role", "api"], /--store memory with --role api/],
      [["--store", "memory", "--shard", "0/2"], /--shard with --store memory/],
      [["--role", "api", "--shard", "0/2"], /--shard with --role api/],
      [["--redis", "redis://a:1", "--redis-cluster", "b:2"], /--redis and --redis-cluster both given/],
      [["--redis-cluster", "b:2"], /--redis and --redis-cluster/, { STATS_REDIS: "redis://elsewhere:1" }],
      [[], /--store memory with --role ingest/, { STATS_STORE: "memory", STATS_ROLE: "ingest" }],
      // Given on the command line, even with the default value: someone typed both.
      [["--redis", "redis://localhost:6379", "--redis-cluster", "b:2"], /both given/],
    ];
    for (const [argv, pattern, env] of cases) {
      fails(argv, pattern, env);
      try {
        parseConfig(argv, env ?? {});
      } catch (e) {
        assert.ok(!(e as Error).message.includes("\n"), "one line");
      }
    }
  });
  it("an environment variable set to its default contradicts nothing", () => {
    const c = parse(["--redis-cluster", "b:2"], { STATS_REDIS: "redis://localhost:6379", STATS_SHARD: "" });
    assert.deepEqual(c.redisCluster, ["b:2"]);
    assert.equal(parse(["--role", "api"], { STATS_SHARD: "" }).shard, undefined);
    // The sensible combinations still start.
    parse(["--store", "memory"]);
    parse(["--role", "ingest", "--shard", "0/2"]);
    parse(["--role", "api", "--redis-cluster", "a:1,b:2"]);
  });
  it("--help lists every option with its environment variable and default", () => {
    assert.equal(parseConfig(["--help"], {}), "help");
    const text = helpText();
    for (const o of OPTIONS) {
      assert.ok(text.includes(`--${o.flag}`), o.flag);
      assert.ok(text.includes(`env ${o.env}, default ${o.def === "" ? "(none)" : o.def}`), o.env);
      for (const a of o.aliases ?? []) assert.ok(text.includes(`--${a}`), a);
    }
  });
});
