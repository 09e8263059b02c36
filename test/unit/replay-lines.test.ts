import assert from "node:assert/strict";
import { test } from "node:test";
import { type Line, readLines } from "../../src/ingest/replay-lines.js";

async function lines(pieces: Array<string | Buffer>, max = 8) {
  const skipped: string[] = [];
  const result = { bom: false };
  const out: Line[] = [];
  for await (const l of readLines(
    (async function* () {
      yield* pieces.map((p) => (typeof p === "string" ? Buffer.from(p) : p));
    })(),
    max,
    (b) => skipped.push(b.toString()),
    result,
  ))
    out.push(l);
  return { out, skipped: skipped.join(""), bom: result.bom };
}

test("lines split on \\n across reads; CRLF and a last line without newline", async () => {
  const { out } = await lines(["ab", "c\r\nde", "f\n\ng"]);
  assert.deepEqual(out, [{ text: "abc" }, { text: "def" }, { text: "" }, { text: "g" }]);
});

test("a line longer than the limit is never held: its bytes go to onSkipped, it comes out as tooLong", async () => {
  const { out, skipped } = await lines(["ok\n0123", "456789", "abc\nnext\n"]);
  assert.deepEqual(out, [{ text: "ok" }, { tooLong: 13 }, { text: "next" }]);
  assert.equal(skipped, "0123456789abc");
  assert.deepEqual((await lines(["12345678\r\n"])).out, [{ text: "12345678" }], "exactly the limit, CRLF");
});

test("a UTF-8 byte order mark at the start is skipped and reported; elsewhere it is kept", async () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const first = await lines([Buffer.concat([bom, Buffer.from("{}\n")])]);
  assert.deepEqual(first.out, [{ text: "{}" }]);
  assert.equal(first.bom, true);
  const later = await lines([Buffer.from("{}\n"), Buffer.concat([bom, Buffer.from("x\n")])], 16);
  assert.equal(later.bom, false);
  assert.deepEqual(later.out, [{ text: "{}" }, { text: "\uFEFFx" }]);
});
