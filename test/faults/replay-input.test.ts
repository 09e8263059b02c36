/**
 * `stats-server replay` (the real executable, a real Redis) against the input an adversarial probe
 * found: times that live ingest refuses under --event-years, a line hundreds of megabytes long, a
 * byte order mark, and two runs of the same file at once. Before: out-of-range times landed in
 * 2286, 1972 and 1970 with exit 0; a long line was read whole (a 300 MB line took 1 GB, from 512 MB
 * a RangeError and no summary); a BOM made line 1 `bad_json`; two overlapping runs reported 760,000
 * + 720,000 applied for 1,000,000 lines.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

interface Summary {
  lines: number;
  applied: number;
  rejected: number;
  rejectedBy: Record<string, number>;
  alreadyApplied: { chunks: number; events: number };
}
const summaryOf = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1) as string) as Summary;
const pageview = (account: string, time: unknown) => JSON.stringify({ type: "pageview", time, data: { account } });

/** Peak resident memory of a running process so far (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

describe("faults: replay input", () => {
  let redis: TestRedis;
  const dir = mkdtempSync(join(tmpdir(), "stats-replay-faults-"));
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const args = (prefix: string, ...more: string[]) => [
    "--redis",
    redis.url,
    "--key-prefix",
    prefix,
    "--log-level",
    "silent",
    ...more,
  ];

  it("--event-years applies as in live ingest: out-of-range times are bad_time, exit 3, no stray years", async () => {
    const prefix = redis.prefix();
    const file = join(dir, "years.ndjson");
    writeFileSync(
      file,
      [
        pageview("acme", "2024-05-06T07:08:09Z"), // 1: in range
        pageview("acme", 10_000_000_000), // 2: seconds → 2286
        pageview("acme", 86_400_000), // 3: milliseconds → 1972
        pageview("acme", "20260131"), // 4: read as seconds → 1970
        pageview("acme", "2019-01-01T00:00:00Z"), // 5: outside --event-years 2020-
        "",
      ].join("\n"),
    );
    const run = await runCli(["replay", file, ...args(prefix, "--event-years", "2020-")]).result;
    assert.equal(run.code, 3, run.stderr);
    const s = summaryOf(run.stdout);
    assert.equal(s.applied, 1);
    assert.deepEqual(s.rejectedBy, { bad_time: 4 });
    assert.deepEqual(
      run.stderr.trim().split("\n"),
      [2, 3, 4, 5].map((n) => `line ${n}: bad_time (outside --event-years 2020-${new Date().getUTCFullYear() + 1})`),
    );
    const years = await redis.client.smembers(`${prefix}index:track:years:acme:pageview`);
    assert.deepEqual(years, ["2024"], "no 2286, 1972, 1970 or 2019 in the listing index");
  });

  it("a 256 MB line is skipped as too_large while it streams past: memory does not grow with it", async (t) => {
    const prefix = redis.prefix();
    const measure = async (longLineBytes: number) => {
      const run = runCli(["replay", "-", ...args(prefix, "--dry-run")], { stdin: "pipe" });
      const stdin = run.child.stdin as NodeJS.WritableStream;
      const write = (text: string | Buffer) =>
        new Promise<void>((resolve, reject) => stdin.write(text, (err) => (err ? reject(err) : resolve())));
      await write(`${pageview("acme", "2024-05-06T07:08:09Z")}\n`);
      // The long line: a JSON string that never ends, written 1 MB at a time.
      await write('{"type":"pageview","time":"2024-05-06T07:08:09Z","data":{"account":"acme","pad":"');
      const mbOfX = Buffer.alloc(2 ** 20, "x");
      for (let written = 0; written < longLineBytes; written += mbOfX.length) await write(mbOfX);
      await write('"}}\n');
      await write(`${pageview("acme", "2024-05-06T07:08:10Z")}\n`);
      // The rejection of line 2 is printed once its newline was read: the peak so far includes it.
      while (!run.output().stderr.includes("line 2:") && run.child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const peak = peakRss(run.child.pid as number);
      stdin.end();
      const result = await run.result;
      return { peak, result };
    };
    // Read buffers are garbage until V8 collects them, so the peak is above the baseline either way;
    // what matters is that it does not grow with the line.
    const small = await measure(64 * 2 ** 20);
    const long = await measure(256 * 2 ** 20);
    t.diagnostic(`peak RSS: 64 MB line ${mb(small.peak)}, 256 MB line ${mb(long.peak)}`);
    for (const { result } of [small, long]) {
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /^line 2: too_large \(\d+ bytes, the limit is 65536\)$/m);
      const s = summaryOf(result.stdout);
      assert.equal(s.lines, 3);
      assert.equal(s.applied, 2, "the lines around the long one are counted");
      assert.deepEqual(s.rejectedBy, { too_large: 1 });
    }
    assert.ok(
      long.peak - small.peak < 32 * 2 ** 20,
      `a 256 MB line cost ${mb(long.peak - small.peak)} more than a 64 MB one: it was buffered`,
    );
    assert.ok(long.peak < 256 * 2 ** 20, `peak ${mb(long.peak)}: less than the line itself`);
  });

  it("a UTF-8 byte order mark at the start is skipped: line 1 counts", async () => {
    const prefix = redis.prefix();
    const file = join(dir, "bom.ndjson");
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(`${pageview("acme", "2024-05-06T07:08:09Z")}\r\n${pageview("acme", "2024-05-06T07:08:10Z")}\r\n`),
      ]),
    );
    const run = await runCli(["replay", file, ...args(prefix)]).result;
    assert.equal(run.code, 0, run.stderr);
    const s = summaryOf(run.stdout);
    assert.equal(s.applied, 2);
    assert.equal(s.rejected, 0);
    assert.equal(await redis.client.hget(`${prefix}track:acme:pageview:2024`, "5"), "2");
  });

  it("two runs of one file at once: their summaries add up to the lines, and Redis holds each once", async (t) => {
    const prefix = redis.prefix();
    const file = join(dir, "overlap.ndjson");
    const LINES = 40_000;
    const out: string[] = [];
    const start = Date.UTC(2024, 0, 1);
    // Many accounts and minutes per chunk: each chunk is written in several scripts, which is where
    // two runs used to both claim one chunk.
    for (let i = 0; i < LINES; i++) out.push(pageview(`acct${i % 700}`, new Date(start + i * 7_000).toISOString()));
    writeFileSync(file, `${out.join("\n")}\n`);
    const replay = () => runCli(["replay", file, ...args(prefix, "--chunk-lines", "1000")]).result;
    const [a, b] = await Promise.all([replay(), replay()]);
    for (const r of [a, b]) assert.equal(r.code, 0, r.stderr);
    const [sa, sb] = [summaryOf(a.stdout), summaryOf(b.stdout)];
    t.diagnostic(
      `applied ${sa.applied} + ${sb.applied}; already applied ${sa.alreadyApplied.events} + ${sb.alreadyApplied.events}`,
    );
    assert.equal(sa.applied + sb.applied, LINES, "each chunk reported applied by exactly one run");
    for (const s of [sa, sb]) assert.equal(s.applied + s.alreadyApplied.events, LINES);
    const months = await redis.client.hvals(`${prefix}track:all:pageview:2024`);
    assert.equal(
      months.reduce((n, v) => n + Number(v), 0),
      LINES,
      "Redis counted every line once",
    );
  });
});
