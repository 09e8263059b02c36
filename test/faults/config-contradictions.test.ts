/**
 * Flags that cannot all be meant, and a shard count no deployment needs, are refused at start by
 * the real executable: exit 2, one line that says why, before anything is opened (no Redis, no
 * socket, no port). Before, `--store memory --role ingest` counted into a memory nothing read,
 * `--redis` with `--redis-cluster` silently used the cluster, `--role api --shard` ignored the
 * shard, and `--shard 0/30000000` built arrays of n entries twice a second until it ran out of memory.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";

/** Nothing listens on these: a process that got past its flags would fail on them, not exit 2 at once. */
const NOWHERE = ["--redis", "redis://127.0.0.1:1", "--zmq", "tcp://127.0.0.1:1", "--http", "127.0.0.1:0"];

async function refused(args: string[], reason: RegExp, env: NodeJS.ProcessEnv = {}) {
  const { code, stdout, stderr } = await runCli(args, { env }).result;
  assert.equal(code, 2, `${args.join(" ")}: exit ${code}; stderr: ${stderr}`);
  assert.match(stderr, reason, args.join(" "));
  assert.equal(stderr.trim().split("\n").length, 1, `one line: ${stderr}`);
  assert.match(stderr, /^stats-server: /);
  assert.equal(stdout, "");
}

describe("faults: contradictory flags and an absurd shard count", () => {
  it("--shard 0/30000000 exits 2 at start, saying the bound", async () => {
    await refused(["--role", "ingest", "--shard", "0/30000000", ...NOWHERE], /--shard .*n ≤ 1024, got "0\/30000000"/);
  });

  it("each contradictory combination exits 2 with its reason", async () => {
    const cluster = ["--zmq", "tcp://127.0.0.1:1", "--http", "127.0.0.1:0"];
    const cases: Array<[string[], RegExp, NodeJS.ProcessEnv?]> = [
      [["--store", "memory", "--role", "ingest", ...cluster], /--store memory with --role ingest/],
      [["--store", "memory", "--role", "api", ...cluster], /--store memory with --role api/],
      [["--store", "memory", "--shard", "0/2", ...cluster], /--shard with --store memory/],
      [["--role", "api", "--shard", "1/2", ...NOWHERE], /--shard with --role api/],
      [["--redis-cluster", "127.0.0.1:1", ...NOWHERE], /--redis and --redis-cluster both given/],
      // The same through the environment, as a container would set them.
      [cluster, /--store memory with --role ingest/, { STATS_STORE: "memory", STATS_ROLE: "ingest" }],
      [cluster, /--shard with --role api/, { STATS_ROLE: "api", STATS_SHARD: "0/2" }],
    ];
    for (const [args, reason, env] of cases) await refused(args, reason, env);
  });

  it("an environment variable that spells out its default is not a contradiction", async () => {
    // STATS_REDIS at its default beside --redis-cluster: the flags pass, and the process goes on
    // to start (it is stopped once it answers --help-free parsing, i.e. once it is running).
    const run = runCli(["--redis-cluster", "127.0.0.1:1", "--zmq", "tcp://127.0.0.1:1", "--http", "127.0.0.1:0"], {
      env: { STATS_REDIS: "redis://localhost:6379", STATS_LOG_LEVEL: "info" },
    });
    // The first log line comes after the flags were accepted.
    const deadline = Date.now() + 30_000;
    while (!run.output().stderr.includes('"level"') && run.child.exitCode === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    run.child.kill("SIGKILL");
    const { stderr } = await run.result;
    assert.doesNotMatch(stderr, /both given/);
    assert.match(stderr, /"level"/, `the process started: ${stderr.slice(0, 300)}`);
  });
});
