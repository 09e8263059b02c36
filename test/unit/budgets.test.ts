/**
 * The two budgets that refuse work rather than let it pile up: the operation rate (a token bucket
 * per connection or address) and the memory budget (the heap in use against --max-memory).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createChurnBudget, createKeyedChurnBudgets } from "../../src/http/churn-budget.js";
import { createMemoryBudget, MemoryExhausted } from "../../src/http/memory-budget.js";

describe("operation rate", () => {
  it("allows a burst, then the rate, and refills with time", () => {
    let t = 0;
    const budget = createChurnBudget({ ratePerSecond: 2, burst: 3 }, () => t);
    assert.deepEqual([budget.take(), budget.take(), budget.take(), budget.take()], [true, true, true, false]);
    t += 499;
    assert.equal(budget.take(), false, "not yet one token back");
    t += 1;
    assert.equal(budget.take(), true, "one token after half a second at 2 a second");
    t += 60_000;
    assert.deepEqual(
      [budget.take(), budget.take(), budget.take(), budget.take()],
      [true, true, true, false],
      "never more than the burst",
    );
  });

  it("keeps one budget per key, for at most maxKeys keys", () => {
    const budgets = createKeyedChurnBudgets({ ratePerSecond: 1, burst: 1 }, 2);
    assert.equal(budgets.take("a"), true);
    assert.equal(budgets.take("a"), false);
    assert.equal(budgets.take("b"), true, "another key has its own budget");
    budgets.take("c");
    assert.equal(budgets.size, 2);
  });
});

describe("memory budget", () => {
  it("admits work under the budget and refuses it at the budget, saying why", () => {
    let used = 100;
    let t = 0;
    const refused: string[] = [];
    const budget = createMemoryBudget({
      limitBytes: 1_000,
      read: () => used,
      now: () => t,
      onRefused: (work, what) => refused.push(`${work}: ${what}`),
    });
    budget.admit("series_plan", "planning");
    used = 1_000;
    assert.doesNotThrow(() => budget.admit("series_plan", "planning"), "a reading is reused for a few milliseconds");
    t += 1_000;
    assert.throws(
      () => budget.admit("series_plan", "planning a window"),
      (err: unknown) => {
        assert.ok(err instanceof MemoryExhausted);
        assert.match(err.message, /memory budget .*--max-memory.*planning a window was refused/);
        return true;
      },
    );
    assert.deepEqual(refused, ["series_plan: planning a window"]);
    assert.equal(budget.refusals, 1);
  });

  it("0 means a share of V8's heap limit", () => {
    const budget = createMemoryBudget({ limitBytes: 0, read: () => 0 });
    assert.ok(budget.limitBytes > 64 * 1024 * 1024);
  });
});
