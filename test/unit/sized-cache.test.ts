/**
 * The byte-bounded cache: entries go least recently used first once their estimated bytes pass
 * the budget; an entry larger than the budget is not kept; stats() says what is held.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSizedCache, ENTRY_OVERHEAD_BYTES } from "../../src/domain/sized-cache.js";

describe("sized cache", () => {
  it("holds at most its byte budget, dropping the least recently used", () => {
    const entry = 100 + ENTRY_OVERHEAD_BYTES;
    const cache = createSizedCache<string, number>("t", entry * 3);
    for (const k of ["a", "b", "c"]) assert.equal(cache.set(k, 1, 100), true);
    assert.equal(cache.get("a"), 1, "a is now the most recently used");
    cache.set("d", 1, 100);
    assert.equal(cache.has("b"), false, "b was the least recently used");
    assert.deepEqual(
      ["a", "c", "d"].map((k) => cache.has(k)),
      [true, true, true],
    );
    assert.deepEqual(cache.stats(), { name: "t", entries: 3, bytes: entry * 3, maxBytes: entry * 3, evictions: 1 });
  });

  it("does not keep an entry larger than the whole budget, and replacing an entry recounts it", () => {
    const cache = createSizedCache<string, string>("t", 1_000);
    assert.equal(cache.set("big", "x", 2_000), false);
    assert.equal(cache.has("big"), false);
    cache.set("k", "v1", 500);
    cache.set("k", "v2", 100);
    assert.equal(cache.get("k"), "v2");
    assert.equal(cache.stats().bytes, 100 + ENTRY_OVERHEAD_BYTES);
    cache.clear();
    assert.equal(cache.stats().bytes, 0);
  });
});
