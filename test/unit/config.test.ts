import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  type CommandLine,
  type Config,
  ConfigError,
  helpText,
  parseCommandLine,
  parseConfig,
  version,
} from "../../src/config.js";
import { COMMANDS, OPTIONS } from "../../src/options.js";

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
  it("an empty environment variable counts as unset (docker run -e X=)", () => {
    const empty = Object.fromEntries(OPTIONS.map((o) => [o.env, ""]));
    assert.deepEqual(parse([], empty), parse([]), "every option empty in the environment = every default");
    const c = parse([], { STATS_ZMQ_BIND: "", STATS_CSRF_PREVENTION: "", STATS_FLUSH_EAGER: " " });
    assert.equal(c.zmqBind, false, "STATS_ZMQ_BIND= does not turn binding on");
    assert.equal(c.graphql.csrfPrevention, false);
    assert.equal(c.flushEager, false);
    assert.deepEqual(parse([], { STATS_HTTP: "", STATS_ZMQ: "" }).http, { host: "localhost", port: 8001 });
    assert.equal(parse([], { STATS_ZMQ_BIND: "true" }).zmqBind, true, "a set variable still counts");
    assert.equal(parse([], { STATS_INTROSPECTION: "" }).graphql.introspection, true, "empty = the default, not false");
  });
  it("a boolean flag alone is true; false comes as --flag=false or --flag false", () => {
    assert.equal(parse(["--zmq-bind"]).zmqBind, true);
    assert.equal(parse(["--zmq-bind=false"], { STATS_ZMQ_BIND: "true" }).zmqBind, false);
    assert.equal(parse(["--zmq-bind", "false"]).zmqBind, false);
    assert.equal(parse(["-flush-eager=1"]).flushEager, true);
    fails(["--zmq-bind=maybe"], /--zmq-bind must be true or false, got "maybe"/);
  });
  it("every list flag takes commas and repetition, from the command line or the environment", () => {
    assert.deepEqual(parse(["--topic", "pageview,order"]).topics, ["pageview", "order"]);
    assert.deepEqual(parse([], { STATS_TOPIC: "pageview, order" }).topics, ["pageview", "order"]);
    assert.deepEqual(parse(["--topic", "a", "--topic=b,c"]).topics, ["a", "b", "c"]);
    assert.deepEqual(parse(["--track-events", "pageview,signup"]).trackEvents, ["pageview", "signup"]);
    assert.deepEqual(parse(["--cors-origins", "https://a.example,https://b.example"]).corsOrigins, [
      "https://a.example",
      "https://b.example",
    ]);
    assert.deepEqual(parse(["--redis-cluster", "a:1,b:2"]).redisCluster, ["a:1", "b:2"]);
  });
  it("--version is the package's", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    assert.equal(version(), pkg.version);
    assert.equal(parseCommandLine(["--version"]), "version");
    assert.equal(parseCommandLine(["simulate", "-version"]), "version");
  });
});

describe("commands: one registry, one parser", () => {
  const line = (argv: string[], env: Record<string, string> = {}): CommandLine => {
    const l = parseCommandLine(argv, env);
    assert.ok(l !== "version" && !("help" in l), "a command line");
    return l as CommandLine;
  };
  it("the first word picks the command; none is serve", () => {
    assert.deepEqual(
      COMMANDS.map((c) => c.name),
      ["serve", "reindex", "simulate", "replay", "demo"],
    );
    assert.equal(line([]).command.name, "serve");
    for (const name of ["reindex", "simulate", "demo"]) assert.equal(line([name]).command.name, name);
    assert.equal(line(["replay", "events.ndjson"]).flags.operand, "events.ndjson");
    assert.equal(line(["replay", "--dry-run", "-"]).flags.operand, "-");
  });
  it("simulate reads its flags in both forms and from STATS_SIMULATE_*", () => {
    const env = line(["simulate"], {
      STATS_SIMULATE_RATE: "7.5",
      STATS_SIMULATE_RHYTHM: "false",
      STATS_SIMULATE_SEED: "",
    });
    assert.equal(env.flags.number("rate"), 7.5);
    assert.equal(env.flags.bool("rhythm"), false);
    assert.equal(env.flags.int("seed", 1), 1, "empty = the default");
    const go = line(["simulate", "-rate=9", "--bind", "tcp://127.0.0.1:7000", "-duration=2s"], {
      STATS_SIMULATE_RATE: "7.5",
    });
    assert.equal(go.flags.number("rate"), 9, "the flag wins over the environment");
    assert.equal(go.flags.str("bind"), "tcp://127.0.0.1:7000");
    assert.equal(go.flags.optionalDuration("duration"), 2000);
    assert.equal(line(["simulate"]).flags.optionalDuration("duration"), undefined, "no --duration: until stopped");
    assert.throws(
      () => line(["simulate"], { STATS_SIMULATE_RATE: "fast" }).flags.number("rate"),
      /--rate must be a positive number, got "fast"/,
    );
  });
  it("replay reads its own flags and the service's, also from the environment", () => {
    const l = line(["replay", "-", "-chunk-lines=10"], {
      STATS_REPLAY_GUARD_TTL: "2d",
      STATS_REPLAY_DRY_RUN: "true",
      STATS_KEY_PREFIX: "t:",
    });
    assert.equal(l.flags.int("chunk-lines", 1), 10);
    assert.equal(l.flags.duration("guard-ttl"), 2 * 86_400);
    assert.equal(l.flags.bool("dry-run"), true);
    assert.equal(l.flags.str("key-prefix"), "t:");
    assert.throws(() => parseCommandLine(["replay"]), /replay needs FILE\|- as its argument/);
    assert.throws(() => parseCommandLine(["replay", "a", "b"]), /unexpected argument "b"/);
  });
  it("demo takes the service's --http and STATS_HTTP, and its own flags", () => {
    assert.equal(line(["demo"]).flags.str("http"), "localhost:8001");
    assert.equal(line(["demo"], { STATS_HTTP: "127.0.0.1:8123" }).flags.str("http"), "127.0.0.1:8123");
    assert.equal(line(["demo", "--http", ":9000"], { STATS_HTTP: "127.0.0.1:8123" }).flags.str("http"), ":9000");
    assert.equal(line(["demo"]).flags.str("log-level"), "warn", "the demo's own default");
    assert.equal(line(["demo", "-rate=3", "--history", "false"]).flags.bool("history"), false);
    assert.throws(() => parseCommandLine(["demo", "--redis", "redis://x:1"]), /unknown option --redis/);
  });
  it("every command's --help lists its options with their variables", () => {
    for (const c of COMMANDS) {
      const h = parseCommandLine(c.name === "serve" ? ["--help"] : [c.name, "-h"]);
      assert.ok(h !== "version" && "help" in h && h.help === c);
      const text = helpText(c);
      for (const o of c.options) assert.ok(text.includes(`env ${o.env}`), `${c.name} --${o.flag}`);
    }
    assert.match(helpText(), /simulate +publish/);
  });
});
