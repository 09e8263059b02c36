/**
 * The answer cache keeps an answer only once it has been asked for twice since the last flush
 * (unique requests are never kept), serves it from then on, and forgets everything at a flush.
 */
import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { createAnswerCache } from "../../src/http/answer-cache.js";

/** What a caller does: look up, and on a miss compute and offer the answer. */
function ask(cache: ReturnType<typeof createAnswerCache<string>>, key: string, compute: () => string) {
  const hit = cache.get(key);
  if (hit !== undefined) return { answer: hit, from: "cache" };
  const started = cache.begin();
  const answer = compute();
  cache.set(key, answer, started);
  return { answer, from: "computed" };
}

describe("answer cache", () => {
  it("keeps an answer from its second asking and serves it from the third", () => {
    const cache = createAnswerCache<string>({ maxAgeMs: 60_000, maxEntries: 100 });
    let n = 0;
    const compute = () => `answer ${++n}`;
    assert.deepEqual(ask(cache, "a", compute), { answer: "answer 1", from: "computed" });
    assert.equal(cache.size, 0, "asked once: not kept");
    assert.deepEqual(ask(cache, "a", compute), { answer: "answer 2", from: "computed" });
    assert.equal(cache.size, 1, "asked twice: kept");
    assert.deepEqual(ask(cache, "a", compute), { answer: "answer 2", from: "cache" });
    assert.deepEqual(ask(cache, "a", compute), { answer: "answer 2", from: "cache" });
  });

  it("unique requests are never kept", () => {
    const cache = createAnswerCache<string>({ maxAgeMs: 60_000, maxEntries: 100 });
    for (let i = 0; i < 1_000; i++) ask(cache, `k${i}`, () => "x");
    assert.equal(cache.size, 0);
  });

  it("a flush forgets the answers and the askings; an answer computed across a flush is not kept", () => {
    const cache = createAnswerCache<string>({ maxAgeMs: 60_000, maxEntries: 100 });
    ask(cache, "a", () => "old");
    ask(cache, "a", () => "old");
    cache.invalidate();
    assert.equal(cache.size, 0);
    assert.equal(ask(cache, "a", () => "new").from, "computed");
    assert.equal(cache.size, 0, "the asking before the flush does not count");
    // Asked a second time, but a flush lands while the answer is computed.
    assert.equal(cache.get("a"), undefined);
    const started = cache.begin();
    cache.invalidate();
    cache.set("a", "raced", started);
    assert.equal(cache.size, 0);
  });

  it("serves a kept answer for maxAgeMs, then computes it again (what no flush announces shows by then)", () => {
    mock.timers.enable({ apis: ["Date"], now: 1_000_000 });
    try {
      const cache = createAnswerCache<string>({ maxAgeMs: 1_000, maxEntries: 100 });
      ask(cache, "a", () => "old");
      ask(cache, "a", () => "old");
      mock.timers.tick(1_000);
      assert.deepEqual(
        ask(cache, "a", () => "new"),
        { answer: "old", from: "cache" },
        "at maxAgeMs: still kept",
      );
      mock.timers.tick(1);
      assert.deepEqual(
        ask(cache, "a", () => "new"),
        { answer: "new", from: "computed" },
        "past it: read again",
      );
    } finally {
      mock.timers.reset();
    }
  });

  it("keeps nothing when it may keep nothing (no flush announcements)", () => {
    const cache = createAnswerCache<string>({ maxAgeMs: 60_000, maxEntries: 0 });
    for (let i = 0; i < 3; i++) assert.equal(ask(cache, "a", () => "x").from, "computed");
    assert.equal(cache.size, 0);
  });

  it("is bounded by bytes too: large answers push the oldest out", () => {
    const cache = createAnswerCache<string>({
      maxAgeMs: 60_000,
      maxEntries: 1_000,
      maxBytes: 10_000,
      sizeOf: (a) => a.length,
    });
    const big = "x".repeat(3_000);
    for (const k of ["a", "b", "c", "d"]) {
      ask(cache, k, () => big);
      ask(cache, k, () => big);
    }
    assert.equal(cache.size, 3, "three answers of ~3 KB fit in 10 KB, four do not");
    assert.ok(cache.stats().bytes <= cache.stats().maxBytes);
    assert.equal(cache.get("a"), undefined, "the oldest went");
    assert.equal(cache.get("d"), big);
  });
});
