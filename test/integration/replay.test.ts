/**
 * `stats-server replay` as an operator runs it (the real executable) against a real Redis:
 * counts land in the buckets of the events' own times, bad lines are reported by number, the exit
 * code tells, and a replay killed half-way then run again applies everything exactly once.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

let redis: TestRedis;
const dir = mkdtempSync(join(tmpdir(), "stats-replay-"));
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const line = (type: string, account: string, time: unknown, data: Record<string, unknown> = {}) =>
  JSON.stringify({ type, ...(time === undefined ? {} : { time }), data: { account, ...data } });

interface Summary {
  lines: number;
  applied: number;
  rejected: number;
  rejectedBy: Record<string, number>;
  chunks: number;
  alreadyApplied: { chunks: number; events: number };
}
const summaryOf = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1) as string) as Summary;

test("replay buckets events by their own time, reports bad lines by number, and a re-run adds nothing", async () => {
  const prefix = redis.prefix();
  const file = join(dir, "events.ndjson");
  writeFileSync(
    file,
    [
      line("pageview", "acme", "2013-09-05T16:07:00Z", { unq: "1" }), // 1
      line("pageview", "acme", "2013-09-05 17:07:30 +0100"), // 2: Ruby form, 16:07 UTC
      "{not json", // 3
      line("pageview", "acme", Date.UTC(2013, 8, 5, 16, 8) / 1000), // 4: unix seconds
      line("pageview", "acme", undefined), // 5: no time
      line("pageview", "bad account!", "2013-09-05T16:07:00Z"), // 6
      "", // 7: blank, ignored
      line("click", "acme", "2013-09-05T16:07:00Z"), // 8: untracked type
      line("order", "globex", "2014-01-02T03:04:05Z", { status: "paid" }), // 9
      line("order", "globex", "2014-01-02T23:59:59.999Z"), // 10: no status = unknown
      line("pageview", "acme", "2013-02-30T10:00:00Z"), // 11: a date that does not exist
      "",
    ].join("\n"),
  );
  const args = ["replay", file, "--redis", redis.url, "--key-prefix", prefix, "--log-level", "silent"];
  const first = await runCli(args).result;
  assert.equal(first.code, 3, `exit 3 = finished with rejected lines\n${first.stderr}`);
  assert.deepEqual(first.stderr.trim().split("\n"), [
    "line 3: bad_json",
    "line 5: missing_time",
    "line 6: bad_account",
    "line 8: untracked_type",
    "line 11: bad_time",
  ]);
  const s1 = summaryOf(first.stdout);
  assert.equal(s1.lines, 11, "the final newline ends line 11; it starts no line 12");
  assert.equal(s1.applied, 5);
  assert.equal(s1.rejected, 5);

  const r = redis.client;
  const k = (key: string) => `${prefix}${key}`;
  const expectCounts = async () => {
    for (const account of ["acme", "all"]) {
      assert.equal(await r.hget(k(`track:${account}:pageview:2013`), "9"), "3");
      assert.equal(await r.hget(k(`track:${account}:pageview:2013:9`), "5"), "3");
      assert.equal(await r.hget(k(`track:${account}:pageview:2013:9:5`), "16"), "3");
      assert.deepEqual(await r.hgetall(k(`track:${account}:pageview:2013:9:5:16`)), { "7": "2", "8": "1" });
      assert.deepEqual(await r.hgetall(k(`track:${account}:unique:2013:9:5:16`)), { "7": "1" });
    }
    assert.deepEqual(await r.hgetall(k("funnels:globex:order:2014:1:2")), { paid: "1", unknown: "1" });
    assert.deepEqual(await r.hgetall(k("funnels:all:order:2014")), { paid: "1", unknown: "1" });
    assert.deepEqual((await r.smembers(k("index:track:accounts"))).sort(), ["acme", "all"]);
    assert.equal(await r.exists(k("track:acme:click:2013")), 0);
  };
  await expectCounts();

  const second = await runCli(args).result;
  assert.equal(second.code, 3);
  const s2 = summaryOf(second.stdout);
  assert.equal(s2.applied, 0, "nothing applied a second time");
  assert.deepEqual(s2.alreadyApplied, { chunks: 1, events: 5 });
  await expectCounts();

  // The same data under another --run name is a deliberate second application.
  const third = await runCli([...args, "--run", "again"]).result;
  assert.equal(summaryOf(third.stdout).applied, 5);
  assert.equal(await r.hget(k("track:all:pageview:2013"), "9"), "6");
});

test("a replay killed half-way and run again applies every event exactly once", async () => {
  const prefix = redis.prefix();
  const total = 3_000;
  const lines: string[] = [];
  for (let i = 0; i < total; i++) {
    const at = new Date(Date.UTC(2020, 4, 1 + (i % 20), i % 24, i % 60)).toISOString();
    lines.push(line("pageview", `acct-${i % 7}`, at, { unq: i % 10 === 0 ? "1" : "0" }));
  }
  const text = `${lines.join("\n")}\n`;
  const file = join(dir, "big.ndjson");
  writeFileSync(file, text);
  const store = ["--redis", redis.url, "--key-prefix", prefix, "--log-level", "silent", "--chunk-lines", "100"];
  const monthTotal = async () => Number((await redis.client.hget(`${prefix}track:all:pageview:2020`, "5")) ?? 0);

  // From stdin, as `... | stats-server replay -`: 1,050 lines, then it is killed.
  const cut = runCli(["replay", "-", ...store], { stdin: "pipe" });
  cut.child.stdin?.write(`${lines.slice(0, 1_050).join("\n")}\n`);
  await eventually(async () => (await monthTotal()) === 1_000, "the first ten chunks applied", 60_000);
  cut.child.kill("SIGKILL");
  const killed = await cut.result;
  assert.equal(killed.signal, "SIGKILL");
  assert.equal(await monthTotal(), 1_000, "a chunk is applied whole or not at all (50 lines were pending)");

  const rerun = await runCli(["replay", file, ...store]).result;
  assert.equal(rerun.code, 0, rerun.stderr);
  const s = summaryOf(rerun.stdout);
  console.log(`replay re-run after a kill at line 1,050: ${JSON.stringify(s)}`);
  assert.deepEqual(s.alreadyApplied, { chunks: 10, events: 1_000 });
  assert.equal(s.applied, 2_000);
  assert.equal(await monthTotal(), total, "every event counted exactly once");
  assert.equal(Number(await redis.client.hget(`${prefix}track:all:unique:2020`, "5")), total / 10);
});

test("--dry-run checks every line and writes nothing", async () => {
  const prefix = redis.prefix();
  const input = [line("pageview", "acme", "2013-09-05T16:07:00Z"), "[]", line("order", "acme", "2014-01-02")].join(
    "\n",
  );
  const run = await runCli(["replay", "-", "--dry-run", "--redis", redis.url, "--key-prefix", prefix], {
    stdin: input,
  }).result;
  assert.equal(run.code, 3);
  assert.equal(run.stderr.trim(), "line 2: not_object");
  assert.equal(summaryOf(run.stdout).applied, 2);
  assert.deepEqual(await redis.client.keys(`${prefix}*`), [], "nothing written");
});

test("replay refuses a missing file and a memory store with exit 2", async () => {
  const missing = await runCli(["replay", join(dir, "nope.ndjson"), "--redis", redis.url]).result;
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*nope\.ndjson: ENOENT/);
  const memory = await runCli(["replay", "-", "--store", "memory"], { stdin: "" }).result;
  assert.equal(memory.code, 2);
  assert.match(memory.stderr, /with --store memory everything would be lost/);
});
