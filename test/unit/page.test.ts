import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pageOf, pageOfUnion } from "../../src/domain/page.js";

const names = Array.from({ length: 1000 }, (_, i) => `acct${String(i).padStart(4, "0")}`).sort();

describe("pages of a sorted listing", () => {
  it("walks the whole listing page by page with `after`, each name once", () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = pageOf(names, { first: 300, after });
      if (page.length === 0) break;
      seen.push(...page);
      after = page.at(-1);
    }
    assert.deepEqual(seen, names);
  });
  it("filters by prefix, also after a name that is not in the listing", () => {
    assert.deepEqual(pageOf(names, { first: 5, prefix: "acct012" }), names.slice(120, 125));
    assert.deepEqual(pageOf(names, { first: 100, prefix: "acct012", after: "acct0125x" }), names.slice(126, 130));
    assert.deepEqual(pageOf(names, { first: 10, prefix: "zzz" }), []);
    assert.deepEqual(pageOf(names, { first: 10, after: "zzz" }), []);
  });
  it("merges listings (track and funnels) into one sorted page", () => {
    const a = ["a", "c", "e"];
    const b = ["b", "c", "d", "f"];
    assert.deepEqual(pageOfUnion([a, b], { first: 4 }), ["a", "b", "c", "d"]);
    assert.deepEqual(pageOfUnion([a, b], { first: 4, after: "c" }), ["d", "e", "f"]);
  });
});
