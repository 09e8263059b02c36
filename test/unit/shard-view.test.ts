/** The registry's verdict: which shards are alive, missing, claimed twice, or split by another n. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ShardClaim, shardTrouble, viewShards } from "../../src/domain/shard-view.js";

const claim = (id: string, index: number, count: number): ShardClaim => ({ id, index, count });

describe("viewShards", () => {
  it("every shard held once: all alive, nothing wrong", () => {
    const v = viewShards([claim("a", 0, 3), claim("b", 2, 3), claim("c", 1, 3)]);
    assert.deepEqual(v, { expected: 3, alive: [0, 1, 2], missing: [], duplicate: [], disagreeing: [], standby: [] });
    assert.equal(shardTrouble(v), false);
  });

  it("a dead shard is missing; n is still known from the live ones", () => {
    const v = viewShards([claim("a", 0, 3), claim("c", 2, 3)], 3);
    assert.deepEqual(v.missing, [1]);
    assert.deepEqual(v.alive, [0, 2]);
    assert.equal(shardTrouble(v), true);
  });

  it("when every process is gone, the last n seen makes every shard missing", () => {
    assert.deepEqual(viewShards([], 2), {
      expected: 2,
      alive: [],
      missing: [0, 1],
      duplicate: [],
      disagreeing: [],
      standby: [],
    });
    assert.deepEqual(viewShards([]), {
      expected: 0,
      alive: [],
      missing: [],
      duplicate: [],
      disagreeing: [],
      standby: [],
    });
  });

  it("two processes on one shard are a duplicate (and the shard still counts as alive)", () => {
    const v = viewShards([claim("b", 1, 2), claim("a", 0, 2), claim("x", 1, 2)]);
    assert.deepEqual(v.duplicate, [{ shard: 1, instances: ["b", "x"] }]);
    assert.deepEqual(v.alive, [0, 1]);
    assert.deepEqual(v.missing, []);
    assert.equal(shardTrouble(v), true);
  });

  it("processes that disagree on n: the majority decides, the others are listed", () => {
    const v = viewShards([claim("a", 0, 2), claim("b", 1, 2), claim("c", 2, 3)]);
    assert.equal(v.expected, 2);
    assert.deepEqual(v.disagreeing, [{ instance: "c", shard: "2/3" }]);
    assert.deepEqual(v.missing, []);
    assert.equal(shardTrouble(v), true);
  });

  it("a tie on n goes to the larger n, so its extra shards show as missing", () => {
    const v = viewShards([claim("a", 0, 2), claim("b", 0, 3)], 2);
    assert.equal(v.expected, 3);
    assert.deepEqual(v.missing, [1, 2]);
    assert.deepEqual(v.disagreeing, [{ instance: "a", shard: "0/2" }]);
  });

  it("a standby waits for a shard's lease: listed apart, alive nothing, no duplicate", () => {
    const v = viewShards([claim("a", 0, 2), claim("b", 1, 2), { ...claim("s", 1, 2), state: "standby" }]);
    assert.deepEqual(v.alive, [0, 1]);
    assert.deepEqual(v.duplicate, []);
    assert.deepEqual(v.standby, [{ shard: 1, instance: "s" }]);
    assert.equal(shardTrouble(v), false);
    const only = viewShards([{ ...claim("s", 0, 1), state: "standby" }], 1);
    assert.deepEqual(only.missing, [0], "a shard with only a standby is not being counted");
  });

  it("an unsharded process is shard 0 of 1", () => {
    const v = viewShards([claim("solo", 0, 1)], 1);
    assert.deepEqual(v, { expected: 1, alive: [0], missing: [], duplicate: [], disagreeing: [], standby: [] });
  });
});
