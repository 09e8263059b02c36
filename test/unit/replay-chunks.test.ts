import assert from "node:assert/strict";
import { test } from "node:test";
import { ReplayChunker } from "../../src/ingest/replay-chunks.js";

const rules = { trackEvents: new Set(["pageview"]), funnelEvents: new Set(["order"]) };
const lines = Array.from(
  { length: 25 },
  (_, i) => `{"type":"pageview","time":${1_600_000_000 + i * 60},"data":{"account":"a${i % 3}"}}`,
);

function chunksOf(input: string[], opts: { run?: string; rules?: typeof rules } = {}) {
  const c = new ReplayChunker({ rules: opts.rules ?? rules, linesPerChunk: 10, run: opts.run ?? "" });
  const out = input.flatMap((l) => c.add(l).chunk ?? []);
  const last = c.end();
  return last ? [...out, last] : out;
}

test("chunk ids depend only on the chunk's lines, its line range, the counting rules and the run name", () => {
  const a = chunksOf(lines);
  assert.deepEqual(
    a.map((b) => b.id.replace(/:[0-9a-f]{24}:/, ":#:")),
    ["replay:#:1-10", "replay:#:11-20", "replay:#:21-25"],
  );
  assert.deepEqual(
    a.map((b) => b.events),
    [10, 10, 5],
  );
  assert.deepEqual(chunksOf(lines), a, "the same lines give the same chunks and deltas");
  const edited = chunksOf([...lines.slice(0, 12), lines[0] as string, ...lines.slice(13)]);
  assert.equal(edited[0]?.id, a[0]?.id);
  assert.notEqual(edited[1]?.id, a[1]?.id, "a changed line changes its chunk's id");
  assert.equal(edited[2]?.id, a[2]?.id);
  assert.notEqual(chunksOf(lines, { run: "again" })[0]?.id, a[0]?.id);
  const otherRules = { trackEvents: new Set(["pageview", "click"]), funnelEvents: new Set(["order"]) };
  assert.notEqual(chunksOf(lines, { rules: otherRules })[0]?.id, a[0]?.id);
});
