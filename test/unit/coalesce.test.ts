import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { accumulate } from "../../src/ingest/classify.js";
import { Coalescer } from "../../src/ingest/coalesce.js";
import type { WireEvent } from "../../src/ingest/decode.js";
import { createKeySpace } from "../../src/store/keys.js";
import { batchWrites, chunkWrites, type HashWrite, type Write } from "../../src/store/ops.js";

const rules = { trackEvents: new Set(["pageview"]), funnelEvents: new Set(["order"]) };
const at = { year: 2013, month: 9, day: 5, hour: 16, minute: 7 };
const ev = (over: Partial<WireEvent>): WireEvent => ({
  type: "pageview",
  account: "acme",
  unique: false,
  status: "",
  time: undefined,
  ...over,
});

describe("coalescing", () => {
  it("sums repeated events into one delta per (account, event, minute)", () => {
    const c = new Coalescer();
    for (let i = 0; i < 1000; i++) accumulate(c, ev({ unique: i % 10 === 0 }), at, rules);
    assert.equal(c.events, 1000);
    const { deltas, events } = c.drain();
    assert.equal(events, 1000);
    const byKey = Object.fromEntries(deltas.map((d) => [`${d.account}/${d.event}`, d.count]));
    assert.deepEqual(byKey, { "acme/pageview": 1000, "all/pageview": 1000, "acme/unique": 100, "all/unique": 100 });
    assert.equal(c.size, 0, "drain empties");
  });
  it("keeps different minutes apart", () => {
    const c = new Coalescer();
    accumulate(c, ev({}), at, rules);
    accumulate(c, ev({}), { ...at, minute: 8 }, rules);
    assert.equal(c.size, 4);
  });
  it("counts funnels per status, `unknown` when empty, for the account and `all`", () => {
    const c = new Coalescer();
    for (const status of ["checkout", "checkout", "closed", ""])
      accumulate(c, ev({ type: "order", status }), at, rules);
    const got = c
      .drain()
      .deltas.map((d) => (d.kind === "funnels" ? `${d.account}/${d.status}=${d.count}` : "?"))
      .sort();
    assert.deepEqual(got, [
      "acme/checkout=2",
      "acme/closed=1",
      "acme/unknown=1",
      "all/checkout=2",
      "all/closed=1",
      "all/unknown=1",
    ]);
  });
  it("ignores types tracked as neither; an event for account `all` counts once", () => {
    const c = new Coalescer();
    assert.equal(accumulate(c, ev({ type: "signup" }), at, rules), false);
    assert.equal(c.size, 0);
    assert.equal(c.events, 0);
    accumulate(c, ev({ account: "all" }), at, rules);
    assert.deepEqual(
      c.drain().deltas.map((d) => [d.account, d.count]),
      [["all", 1]],
    );
  });
  it("a type may be both tracked and a funnel", () => {
    const c = new Coalescer();
    accumulate(c, ev({ type: "x" }), at, { trackEvents: new Set(["x"]), funnelEvents: new Set(["x"]) });
    assert.deepEqual(
      c
        .drain()
        .deltas.map((d) => d.kind)
        .sort(),
      ["funnels", "funnels", "track", "track"],
    );
  });
});

describe("batch writes: the docs/contract.md §3 example", () => {
  it("one unique pageview → 16 HINCRBYs, minute keys flagged to expire, index members", () => {
    const c = new Coalescer();
    accumulate(c, ev({ unique: true }), at, rules);
    const writes = batchWrites(createKeySpace(), c.drain().deltas);
    const hashes = writes.filter((w): w is HashWrite => w.type === "hash");
    const flat = hashes.flatMap((w) =>
      [...w.fields].map(([f, n]) => `${w.key} ${f} ${n}${w.expire ? " (expires)" : ""}`),
    );
    const expected: string[] = [];
    for (const account of ["acme", "all"]) {
      for (const event of ["pageview", "unique"]) {
        expected.push(
          `track:${account}:${event}:2013 9 1`,
          `track:${account}:${event}:2013:9 5 1`,
          `track:${account}:${event}:2013:9:5 16 1`,
          `track:${account}:${event}:2013:9:5:16 7 1 (expires)`,
        );
      }
    }
    assert.deepEqual(flat.sort(), expected.sort());
    const sets = writes.filter((w) => w.type === "set").map((w) => `${w.key} ${[...w.members].sort().join(",")}`);
    assert.deepEqual(sets.sort(), [
      "index:track:accounts acme,all",
      "index:track:events:acme pageview,unique",
      "index:track:events:all pageview,unique",
      "index:track:years:acme:pageview 2013",
      "index:track:years:acme:unique 2013",
      "index:track:years:all:pageview 2013",
      "index:track:years:all:unique 2013",
    ]);
  });
  it("ranks the account (never the rollup) in the event's year, month, day, hour and minute sets, one hash slot", () => {
    const c = new Coalescer();
    accumulate(c, ev({ unique: true }), at, rules);
    accumulate(c, ev({}), { ...at, minute: 8 }, rules);
    const writes = batchWrites(createKeySpace("p:"), c.drain().deltas);
    const zsets = writes.flatMap((w) =>
      w.type === "zset" ? [...w.fields].map(([m, n]) => `${w.key} ${m} ${n}${w.expire ? " (expires)" : ""}`) : [],
    );
    assert.deepEqual(zsets.sort(), [
      "p:top:{pageview}:2013 acme 2",
      "p:top:{pageview}:2013:9 acme 2",
      "p:top:{pageview}:2013:9:5 acme 2",
      "p:top:{pageview}:2013:9:5:16 acme 2",
      "p:top:{pageview}:2013:9:5:16:7 acme 1 (expires)",
      "p:top:{pageview}:2013:9:5:16:8 acme 1 (expires)",
      "p:top:{unique}:2013 acme 1",
      "p:top:{unique}:2013:9 acme 1",
      "p:top:{unique}:2013:9:5 acme 1",
      "p:top:{unique}:2013:9:5:16 acme 1",
      "p:top:{unique}:2013:9:5:16:7 acme 1 (expires)",
    ]);
    assert.equal(batchWrites(createKeySpace("p:"), [], { rankings: false }).length, 0);
  });
  it("sums deltas of different minutes into the shared hour, day, month keys", () => {
    const c = new Coalescer();
    accumulate(c, ev({}), at, rules);
    accumulate(c, ev({}), { ...at, minute: 59 }, rules);
    accumulate(c, ev({}), { ...at, hour: 17 }, rules);
    const writes = batchWrites(createKeySpace("p:"), c.drain().deltas).filter((w): w is HashWrite => w.type === "hash");
    const get = (key: string) => Object.fromEntries(writes.find((w) => w.key === key)?.fields ?? []);
    assert.deepEqual(get("p:track:acme:pageview:2013"), { "9": 3 });
    assert.deepEqual(get("p:track:acme:pageview:2013:9:5"), { "16": 2, "17": 1 });
    assert.deepEqual(get("p:track:acme:pageview:2013:9:5:16"), { "7": 1, "59": 1 });
  });
  it("funnels write year, month, day and hour keys, none expiring", () => {
    const c = new Coalescer();
    accumulate(c, ev({ type: "order", status: "paid" }), at, rules);
    const keys = batchWrites(createKeySpace(), c.drain().deltas)
      .filter((w): w is HashWrite => w.type === "hash")
      .map((w) => `${w.key}${w.expire ? "!" : ""}`)
      .sort();
    assert.deepEqual(keys, [
      "funnels:acme:order:2013",
      "funnels:acme:order:2013:9",
      "funnels:acme:order:2013:9:5",
      "funnels:acme:order:2013:9:5:16",
      "funnels:all:order:2013",
      "funnels:all:order:2013:9",
      "funnels:all:order:2013:9:5",
      "funnels:all:order:2013:9:5:16",
    ]);
  });
  it("chunks stay under the argument budget, splitting a key too large for one chunk", () => {
    const c = new Coalescer();
    for (let i = 0; i < 300; i++) accumulate(c, ev({ account: `a${i}` }), at, rules);
    for (let i = 0; i < 500; i++) accumulate(c, ev({ type: "order", status: `s${i}` }), at, rules);
    const writes = batchWrites(createKeySpace(), c.drain().deltas);
    const chunks = chunkWrites(writes, 100);
    assert.ok(chunks.length > 1);
    const sizeOf = (ws: readonly Write[]) => {
      const by = new Map<string, number>();
      for (const w of ws) by.set(w.key, (by.get(w.key) ?? 0) + (w.type === "set" ? w.members.size : w.fields.size));
      return by;
    };
    // Every field and member of every key is in exactly one chunk...
    assert.deepEqual(sizeOf(chunks.flat()), sizeOf(writes));
    // ...the 301-member account index and the 500-status funnel keys were split...
    assert.ok(chunks.flat().filter((w) => w.key === "index:track:accounts").length > 1);
    // ...and no chunk is over budget.
    for (const chunk of chunks) {
      const args = chunk.reduce((n, w) => n + 2 + (w.type === "set" ? w.members.size : w.fields.size * 2), 0);
      assert.ok(args <= 100, `chunk of ${args} args`);
    }
    // The same writes always chunk the same way (a retried batch meets its own guards).
    assert.deepEqual(chunkWrites(writes, 100), chunks);
  });
});
