/**
 * The command line as a user meets it, on the real executable: --version, the environment read by
 * every command (an empty variable counting as unset), simulate waiting for its subscriber, the
 * demo's port from STATS_HTTP and its busy-port advice, and logs that say what happened.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { Subscriber } from "zeromq";
import { runCli } from "../helpers/cli.js";
import { logLines, spawnServer } from "../helpers/ingest.js";
import { eventually, freePort } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { wiring } from "../helpers/service.js";
import { startPublisher } from "../helpers/zmq.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

it("--version prints the package's version", async () => {
  for (const argv of [["--version"], ["-version"], ["simulate", "--version"]]) {
    const { code, stdout } = await runCli(argv).result;
    assert.equal(code, 0);
    assert.equal(stdout, `stats-server ${pkg.version}\n`);
  }
});

describe("the service's logs", () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  it("STATS_ZMQ_BIND= (empty) connects as the default does; --store memory names no Redis; SIGTERM is no outage", async () => {
    const pub = await startPublisher(); // binds: a service that also bound would fail with EADDRINUSE
    const server = await spawnServer(["--store", "memory", "--zmq", pub.endpoint], {
      env: { STATS_ZMQ_BIND: "", STATS_FLUSH_EAGER: "", STATS_CSRF_PREVENTION: "" },
    });
    try {
      await pub.waitForSubscribers();
      const exit = await server.stop("SIGTERM");
      assert.deepEqual(exit, { code: 0, signal: null }, server.stderr());
      const lines = logLines(server.stderr());
      const start = lines.find((l) => /listening on/.test(String(l["msg"])));
      assert.ok(start, server.stderr());
      assert.equal(start["bind"], false);
      assert.equal(start["store"], "memory");
      assert.ok(!("redis" in start), "the memory store names no Redis URL");
      assert.ok(
        lines.some((l) => l["msg"] === "stopped"),
        "the last line is there",
      );
      assert.doesNotMatch(server.stderr(), /redis:\/\//);
      assert.doesNotMatch(server.stderr(), /disconnected|reconnecting|connection lost/);
      assert.doesNotMatch(server.stderr(), /no API tokens/, "localhost only: no warning");
    } finally {
      await server.stop("SIGKILL");
      pub.close();
    }
  });

  it("a clean SIGTERM with Redis logs neither an event-bus disconnect nor a lost Redis connection", async () => {
    const pub = await startPublisher();
    const server = await spawnServer(wiring(redis.url, pub.endpoint, redis.prefix()));
    try {
      await pub.waitForSubscribers();
      await eventually(async () => (await fetch(`${server.url}/readyz`)).status === 200, "ready");
      const exit = await server.stop("SIGTERM");
      assert.deepEqual(exit, { code: 0, signal: null }, server.stderr());
      const msgs = logLines(server.stderr()).map((l) => String(l["msg"]));
      assert.ok(msgs.includes("stopped"), server.stderr());
      assert.ok(
        msgs.some((m) => /event bus connected/.test(m)),
        "the bus was connected, then closed by us",
      );
      assert.deepEqual(
        msgs.filter((m) => /disconnected|reconnecting|connection lost|not reachable/.test(m)),
        [],
      );
    } finally {
      await server.stop("SIGKILL");
      pub.close();
    }
  });

  it("listening beyond loopback with no tokens is a warning at start", async () => {
    const server = await spawnServer(["--store", "memory", "--zmq", `tcp://127.0.0.1:${await freePort()}`], {
      httpArgs: (port) => ["--http", `0.0.0.0:${port}`],
    });
    try {
      const warning = await eventually(
        () => logLines(server.stderr()).find((l) => /no API tokens/.test(String(l["msg"]))),
        "the warning",
      );
      assert.equal(warning?.["level"], 40, "pino's warn");
    } finally {
      await server.stop("SIGKILL");
    }
  });
});

it("simulate reads STATS_SIMULATE_*, waits for its first subscriber, and that subscriber gets every event", async () => {
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  const run = runCli(["simulate"], {
    env: {
      STATS_SIMULATE_BIND: endpoint,
      STATS_SIMULATE_RATE: "200",
      STATS_SIMULATE_RHYTHM: "false",
      STATS_SIMULATE_DURATION: "1s",
      STATS_SIMULATE_SEED: "",
    },
  });
  await eventually(() => /waiting for a subscriber/.test(run.output().stderr), "simulate waits", 20_000);
  assert.doesNotMatch(run.output().stderr, /publishing/, "nothing sent before a subscriber");
  const sub = new Subscriber({ linger: 0 });
  sub.connect(endpoint);
  sub.subscribe();
  let received = 0;
  const receiving = (async () => {
    for await (const _ of sub) received++;
  })().catch(() => {});
  try {
    const { code, stdout, stderr } = await run.result;
    assert.equal(code, 0, stderr);
    assert.match(stderr, /a subscriber is there; publishing on/);
    const summary = JSON.parse(stdout.trim().split("\n").at(-1) as string) as { sent: number };
    assert.ok(summary.sent > 0);
    await eventually(() => received >= summary.sent, `all ${summary.sent} events received (got ${received})`);
    assert.equal(received, summary.sent);
  } finally {
    sub.close();
    await receiving;
  }
});

it("simulate reads Go-style flags, and a bad value from the environment is a one-line error", async () => {
  const bad = await runCli(["simulate"], { env: { STATS_SIMULATE_RATE: "fast" } }).result;
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'stats-server: --rate must be a positive number, got "fast"\n');
  const go = await runCli(["simulate", "-accounts=0"]).result;
  assert.equal(go.code, 2);
  assert.match(go.stderr, /--accounts must be an integer ≥ 1, got "0"/);
});

describe("demo", () => {
  it("serves on STATS_HTTP when no --http is given", async () => {
    const port = await freePort();
    const demo = runCli(["demo", "--history=false"], { env: { STATS_HTTP: `127.0.0.1:${port}` } });
    try {
      await eventually(() => /Ctrl-C to stop/.test(demo.output().stdout), "the URLs", 60_000);
      assert.match(demo.output().stdout, new RegExp(`dashboard +http://127\\.0\\.0\\.1:${port}/\\n`));
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    } finally {
      demo.child.kill("SIGINT");
    }
    assert.equal((await demo.result).code, 0);
  });

  it("a busy port names the flag as npm needs it", async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const { port } = busy.address() as { port: number };
    try {
      const direct = await runCli(["demo", "--http", `127.0.0.1:${port}`]).result;
      assert.equal(direct.code, 2);
      assert.match(direct.stderr, /is in use: pick another address, e\.g\. `stats-server demo --http localhost:8011`/);
      // What npm sets for `npm run demo`.
      const viaNpm = await runCli(["demo"], { env: { STATS_HTTP: `127.0.0.1:${port}`, npm_lifecycle_event: "demo" } })
        .result;
      assert.equal(viaNpm.code, 2);
      assert.match(viaNpm.stderr, /`npm run demo -- --http localhost:8011` \(or STATS_HTTP=localhost:8011\)/);
    } finally {
      busy.close();
    }
  });
});
