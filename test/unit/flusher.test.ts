/** The flusher over the memory store (no I/O): retries reuse the batch id, so lost replies never double-count. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Batch, StatsStore } from "../../src/domain/types.js";
import { Flusher } from "../../src/ingest/flusher.js";
import { createLogger } from "../../src/log.js";
import { createMetrics } from "../../src/metrics.js";
import { createKeySpace } from "../../src/store/keys.js";
import { createMemoryBackend } from "../../src/store/memory-backend.js";
import { createStatsStore } from "../../src/store/stats-store.js";

const at = { year: 2026, month: 11, day: 28, hour: 4, minute: 30 };
const rules = { trackEvents: new Set(["pageview"]), funnelEvents: new Set<string>() };
const pv = { type: "pageview", account: "acme", unique: false, status: "", time: undefined };

function setup(failures: { before: number; after: number }) {
  const store = createStatsStore(createMemoryBackend(), createKeySpace(), { minuteRetentionSeconds: 60 });
  const ids: string[] = [];
  let { before, after } = failures;
  // Fails `before` times without applying (Redis down), then `after` times AFTER applying (reply lost).
  const flaky: StatsStore = {
    ...store,
    async apply(batch: Batch) {
      ids.push(batch.id);
      if (before > 0) {
        before--;
        throw new Error("connection refused");
      }
      await store.apply(batch);
      if (after > 0) {
        after--;
        throw new Error("connection reset after the write");
      }
    },
  };
  const metrics = createMetrics({ defaultMetrics: false });
  const flusher = new Flusher(
    flaky,
    { intervalMs: 5, maxBatch: 1_000_000, retry: { initialMs: 1, maxMs: 4 } },
    metrics,
    createLogger("silent"),
  );
  return { store, flusher, ids, metrics };
}

const total = async (store: StatsStore) =>
  (await store.counts("track", "acme", "pageview", { year: 2026 })).get("11") ?? 0;

describe("flusher", () => {
  it("retries a batch whose reply was lost with the same id: applied exactly once", async () => {
    const { store, flusher, ids, metrics } = setup({ before: 0, after: 3 });
    for (let i = 0; i < 10; i++) flusher.add(pv, at, rules);
    const applied: Batch[] = [];
    flusher.onApplied((b) => applied.push(b));
    await flusher.flush();
    assert.equal(await total(store), 10);
    assert.equal(ids.length, 4);
    assert.equal(new Set(ids).size, 1, "every retry carries the same batch id");
    assert.equal(applied.length, 1, "listeners hear of the batch once, after success");
    assert.equal((await metrics.flushFailures.get()).values[0]?.value, 3);
  });

  it("keeps coalescing while the store is down and applies everything once it is back", async () => {
    const { store, flusher } = setup({ before: 5, after: 0 });
    flusher.add(pv, at, rules);
    const first = flusher.flush();
    for (let i = 0; i < 99; i++) flusher.add(pv, at, rules);
    assert.equal(flusher.pendingEvents, 100);
    await first;
    await flusher.flush();
    assert.equal(await total(store), 100);
    assert.equal(flusher.pendingEvents, 0);
  });

  it("stop() flushes what is pending; gives up at the deadline when the store never answers", async () => {
    const ok = setup({ before: 0, after: 0 });
    ok.flusher.start();
    for (let i = 0; i < 7; i++) ok.flusher.add(pv, at, rules);
    assert.equal(await ok.flusher.stop(1_000), true);
    assert.equal(await total(ok.store), 7);

    const down = setup({ before: Number.POSITIVE_INFINITY, after: 0 });
    for (let i = 0; i < 3; i++) down.flusher.add(pv, at, rules);
    assert.equal(await down.flusher.stop(50), false);
    assert.equal(down.flusher.pendingEvents, 3, "what was not written is still reported as pending");
  });

  it("a batch cut off by the shutdown deadline after a lost reply is retried as itself: never counted twice", async () => {
    // The write lands but its reply is lost; the retry delay (200 ms) would pass the deadline (100 ms),
    // so the batch is held with its id and stop() retries that same batch, which the guard skips.
    const { store, flusher, ids } = setup({ before: 0, after: 1 });
    const slow = new Flusher(
      { ...store, apply: (b) => flaky(b) },
      { intervalMs: 5, maxBatch: 1_000_000, retry: { initialMs: 200, maxMs: 200 } },
      createMetrics({ defaultMetrics: false }),
      createLogger("silent"),
    );
    let lost = 1;
    const flaky = async (b: Batch) => {
      ids.push(b.id);
      await store.apply(b);
      if (lost-- > 0) throw new Error("reply lost after the write");
    };
    for (let i = 0; i < 5; i++) slow.add(pv, at, rules);
    assert.equal(await slow.stop(100), true);
    assert.equal(await total(store), 5);
    assert.equal(new Set(ids).size, 1, "the retry carried the held batch's id");
    assert.equal(flusher.pendingEvents, 0);
  });

  describe("--flush-eager", () => {
    /** A store whose writes wait for release(), with a lost reply on the first attempt of the first batch. */
    function gated(eager: boolean) {
      const store = createStatsStore(createMemoryBackend(), createKeySpace(), { minuteRetentionSeconds: 60 });
      const attempts: Batch[] = [];
      const waiting: Array<() => void> = [];
      let lose = 1;
      const flusher = new Flusher(
        {
          ...store,
          async apply(batch) {
            attempts.push(batch);
            await new Promise<void>((resolve) => waiting.push(resolve));
            await store.apply(batch);
            if (lose-- > 0) throw new Error("reply lost after the write");
          },
        },
        // No interval tick during a test: whatever is written is written by the eager rule.
        { intervalMs: 3_600_000, eager, maxBatch: 1_000_000, retry: { initialMs: 1, maxMs: 1 } },
        createMetrics({ defaultMetrics: false }),
        createLogger("silent"),
      );
      const applied: Batch[] = [];
      flusher.onApplied((b) => applied.push(b));
      const release = async () => {
        while (waiting.length === 0) await new Promise((r) => setImmediate(r));
        (waiting.shift() as () => void)();
      };
      return { store, flusher, attempts, applied, release };
    }
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
    };

    it("writes an event without waiting for the interval; what arrives during a flush goes right after it, exactly once", async () => {
      const { store, flusher, attempts, applied, release } = gated(true);
      flusher.start();
      // Received in one I/O turn: one batch.
      for (let i = 0; i < 3; i++) flusher.add(pv, at, rules);
      await turns(2);
      assert.equal(attempts.length, 1, "a flush started with no interval tick");
      assert.equal(attempts[0]?.events, 3);
      // While it is in flight (and its reply is lost, then retried), more events coalesce.
      for (let i = 0; i < 5; i++) flusher.add(pv, at, rules);
      await release(); // first attempt: written, reply lost
      await release(); // retry, same id: skipped by the guard
      await release(); // the 5 that waited, as soon as the first batch is done
      assert.equal(await flusher.stop(1_000), true);
      assert.deepEqual(
        applied.map((b) => b.events),
        [3, 5],
      );
      assert.equal(attempts[0]?.id, attempts[1]?.id, "the retry carried the same batch id");
      assert.equal(await total(store), 8, "the lost reply counted once");
    });

    it("without it, events wait for the interval", async () => {
      const { flusher, attempts, applied, release } = gated(false);
      flusher.start();
      for (let i = 0; i < 3; i++) flusher.add(pv, at, rules);
      await turns(5);
      assert.equal(attempts.length, 0);
      assert.equal(flusher.pendingEvents, 3);
      const stopped = flusher.stop(1_000);
      assert.equal(attempts.length, 1, "stop() flushes what waited");
      await release(); // reply lost
      await release(); // retried
      assert.equal(await stopped, true);
      assert.deepEqual(
        applied.map((b) => b.events),
        [3],
      );
    });
  });
});
