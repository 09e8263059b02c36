/**
 * The executable as an operator runs it: SIGTERM flushes everything pending before exiting 0,
 * bad flags fail fast with a one-line reason, --help documents every option, and the 2013
 * service's flags still work.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { logLines, metric, runCli, spawnServer, trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { wiring } from "../helpers/service.js";
import { order, pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

describe("stats-server executable", () => {
  let redis: TestRedis;
  let pub: TestPublisher;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  it("on SIGTERM stops receiving, flushes every pending event, and exits 0", async () => {
    pub = await startPublisher();
    const prefix = redis.prefix();
    const server = await spawnServer([...wiring(redis.url, pub.endpoint, prefix), "--flush-interval", "10s"]);
    try {
      await pub.waitForSubscribers();
      const accounts = ["acme", "beta", "gamma", "delta"];
      const N = 4_000;
      for (let i = 0; i < N; i++) await pub.send(pageview(accounts[i % accounts.length] as string));
      for (let i = 0; i < 100; i++) await pub.send(order("acme", "paid"));
      await eventually(
        async () => (await metric(server.url, "stats_events_received_total")) === N + 100,
        "every event received",
        20_000,
      );
      // With a 10 s interval nothing has been written yet: the shutdown flush is what counts them.
      assert.equal(await metric(server.url, "stats_pending_events"), N + 100, "all pending");
      assert.equal(await trackTotal(redis.client, prefix, "all"), 0, "nothing written before SIGTERM");

      const exit = await server.stop("SIGTERM");
      assert.deepEqual(exit, { code: 0, signal: null }, server.stderr());
      assert.equal(await trackTotal(redis.client, prefix, "all"), N);
      for (const a of accounts) assert.equal(await trackTotal(redis.client, prefix, a), N / accounts.length, a);
      const funnel = await redis.client.hgetall(`${prefix}funnels:acme:order:${new Date().getUTCFullYear()}`);
      assert.deepEqual(funnel, { paid: "100" });
      assert.match(server.stderr(), /shutting down/);
    } finally {
      await server.stop("SIGKILL");
      pub.close();
    }
  });

  it("on SIGTERM with Redis gone, gives up after --shutdown-timeout, says how many events were not written, and exits 1", async () => {
    const own = await startRedis();
    pub = await startPublisher();
    const server = await spawnServer([
      ...wiring(own.url, pub.endpoint, own.prefix()),
      "--flush-interval",
      "10s",
      "--shutdown-timeout",
      "1s",
    ]);
    try {
      await pub.waitForSubscribers();
      for (let i = 0; i < 100; i++) await pub.send(pageview("acme"));
      await eventually(
        async () => (await metric(server.url, "stats_events_received_total")) === 100,
        "every event received",
        20_000,
      );
      await own.kill();
      const exit = await server.stop("SIGTERM");
      assert.deepEqual(exit, { code: 1, signal: null }, server.stderr());
      const line = logLines(server.stderr()).find((l) => String(l["msg"]).includes("were NOT written"));
      assert.equal(line?.["pendingEvents"], 100, server.stderr());
    } finally {
      await server.stop("SIGKILL");
      pub.close();
      await own.stop();
    }
  });

  it("exits non-zero with a one-line reason on a bad flag", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["--nope"], /unknown option --nope/],
      [["--flush-interval", "soon"], /--flush-interval/],
      [["--role", "both"], /--role must be one of all, ingest, api/],
      [["--shard", "2/2"], /--shard/],
      [["--redis", "localhost"], /--redis/],
      [["--zmqsocket", "127.0.0.1:6000"], /tcp:\/\//],
      [["--zmq"], /--zmq needs a value/],
      [["serve-now"], /unexpected argument/],
    ];
    for (const [args, reason] of cases) {
      const { code, stdout, stderr } = await runCli(args);
      assert.notEqual(code, 0, args.join(" "));
      assert.equal(stdout, "", args.join(" "));
      const lines = stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, `${args.join(" ")}: ${stderr}`);
      assert.match(lines[0] as string, reason);
    }
  });

  it("--help lists every option with its environment variable and default", async () => {
    const { code, stdout } = await runCli(["--help"]);
    assert.equal(code, 0);
    const expected: Array<[string, string, string]> = [
      ["zmq", "STATS_ZMQ", "tcp://127.0.0.1:6000"],
      ["zmq-bind", "STATS_ZMQ_BIND", "false"],
      ["topic", "STATS_TOPIC", "(none)"],
      ["redis", "STATS_REDIS", "redis://localhost:6379"],
      ["redis-cluster", "STATS_REDIS_CLUSTER", "(none)"],
      ["key-prefix", "STATS_KEY_PREFIX", "(none)"],
      ["store", "STATS_STORE", "redis"],
      ["http", "STATS_HTTP", "localhost:8001"],
      ["path-prefix", "STATS_PATH_PREFIX", "/api/stats"],
      ["role", "STATS_ROLE", "all"],
      ["shard", "STATS_SHARD", "(none)"],
      ["track-events", "STATS_TRACK_EVENTS", "pageview"],
      ["funnel-events", "STATS_FUNNEL_EVENTS", "order"],
      ["time-source", "STATS_TIME_SOURCE", "receive"],
      ["flush-interval", "STATS_FLUSH_INTERVAL", "100ms"],
      ["minute-retention", "STATS_MINUTE_RETENTION", "30d"],
      ["shutdown-timeout", "STATS_SHUTDOWN_TIMEOUT", "30s"],
      ["log-level", "STATS_LOG_LEVEL", "info"],
    ];
    for (const [flag, env, def] of expected) {
      const at = stdout.indexOf(`  --${flag}`);
      assert.ok(at >= 0, `--${flag} is listed`);
      const entry = stdout.slice(at, stdout.indexOf("\n  --", at + 1));
      assert.ok(entry.includes(`env ${env}`), `--${flag} names ${env}: ${entry}`);
      assert.ok(entry.includes(`default ${def}`), `--${flag} shows default ${def}: ${entry}`);
    }
    for (const alias of ["zmqsocket", "redishost", "httphost", "pathprefix"]) {
      assert.match(stdout, new RegExp(`alias[^\\n]*--${alias}`), alias);
    }
    assert.match(stdout, /reindex/);
  });

  for (const style of ["--flag value", "-flag=value (Go)"]) {
    it(`accepts the 2013 service's flags (${style})`, async () => {
      pub = await startPublisher();
      const prefix = redis.prefix();
      const go = style.startsWith("-flag=");
      const flag = (name: string, value: string) => (go ? [`-${name}=${value}`] : [`--${name}`, value]);
      const server = await spawnServer(
        [
          ...flag("zmqsocket", pub.endpoint),
          ...flag("redishost", `127.0.0.1:${redis.port}`),
          ...flag("pathprefix", "/old/stats"),
          ...flag("key-prefix", prefix),
        ],
        { httpArgs: (port) => flag("httphost", `127.0.0.1:${port}`) },
      );
      try {
        await pub.waitForSubscribers();
        for (let i = 0; i < 10; i++) await pub.send(pageview("legacy"));
        await eventually(async () => (await trackTotal(redis.client, prefix, "legacy")) === 10, "10 events counted");
        const res = await fetch(`${server.url}/old/stats/`);
        assert.equal(res.status, 200);
        assert.equal((await fetch(`${server.url}/api/stats/`)).status, 404);
      } finally {
        assert.equal((await server.stop("SIGTERM")).code, 0, server.stderr());
        pub.close();
      }
    });
  }
});
