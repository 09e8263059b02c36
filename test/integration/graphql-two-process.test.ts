/**
 * Two stats-server processes (bin/stats-server.js, separate OS processes) on one Redis: one
 * ingests (--role ingest), the other only serves (--role api). A client subscribed on the API
 * process receives the events the ingest process flushed, over Redis pub/sub.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { LiveStatsDocument, StatsDocument } from "../gql/graphql.js";
import { query, subscribeSse, subscribeWs } from "../helpers/graphql.js";
import { eventually, freePort } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { pageview, startPublisher, type TestPublisher } from "../helpers/zmq.js";

interface ServerProcess {
  url: string;
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
}

async function startServerProcess(flags: string[]): Promise<ServerProcess> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    ["bin/stats-server.js", "--http", `127.0.0.1:${port}`, "--log-level", "warn", ...flags],
    { cwd: new URL("../..", import.meta.url), stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env["PATH"] } },
  );
  let output = "";
  proc.stdout?.on("data", (b: Buffer) => {
    output += b.toString();
  });
  proc.stderr?.on("data", (b: Buffer) => {
    output += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, `${flags.join(" ")} ready`, 20_000).catch(
    (err: unknown) => {
      proc.kill("SIGKILL");
      throw new Error(`${String(err)}\n--- server output ---\n${output}`);
    },
  );
  return {
    url,
    proc,
    output: () => output,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      return exited;
    },
  };
}

describe("two server processes on one Redis", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let ingest: ServerProcess;
  let api: ServerProcess;

  before(async () => {
    redis = await startRedis();
    pub = await startPublisher();
    const shared = ["--redis", redis.url, "--key-prefix", redis.prefix(), "--flush-interval", "50ms"];
    [ingest, api] = await Promise.all([
      startServerProcess(["--role", "ingest", "--zmq", pub.endpoint, ...shared]),
      startServerProcess(["--role", "api", ...shared]),
    ]);
    await pub.waitForSubscribers();
  });
  after(async () => {
    const codes = await Promise.all([ingest?.stop(), api?.stop()]);
    pub.close();
    await redis.stop();
    assert.deepEqual(codes, [0, 0], "both processes exit cleanly on SIGTERM");
  });

  it("a subscriber on the API process receives what the ingest process flushed (graphql-ws and SSE)", async () => {
    const year = new Date().getUTCFullYear();
    const vars = { account: "two", event: "pageview", year };
    const subs = [subscribeWs(api.url, LiveStatsDocument, vars), subscribeSse(api.url, LiveStatsDocument, vars)];
    try {
      for (const sub of subs) {
        const snapshot = await sub.next();
        assert.equal(snapshot.errors, undefined, JSON.stringify(snapshot.errors));
        assert.equal(snapshot.data?.stats.total, 0);
      }
      // The API process keeps this answer until it hears of a flush (from the other process).
      assert.equal((await query(api.url, StatsDocument, vars)).body.data?.stats.total, 0);
      for (let i = 0; i < 5; i++) await pub.send(pageview("two"));
      for (const sub of subs) {
        let total = 0;
        while (total < 5) total = (await sub.next()).data?.stats.total ?? 0;
        assert.equal(total, 5);
      }
      // And a query on the API process reads the same numbers at once: the flush was heard.
      const r = await query(api.url, StatsDocument, vars);
      assert.equal(r.body.data?.stats.total, 5);
    } catch (err) {
      throw new Error(`${String(err)}\n--- ingest ---\n${ingest.output()}\n--- api ---\n${api.output()}`);
    } finally {
      await Promise.all(subs.map((s) => s.close()));
    }
  });
});
