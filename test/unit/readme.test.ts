/** The README documents every flag: its table is generated from the option definitions and must match. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { flagsTable } from "../../scripts/flags-table.js";

it("README's flag table is current (regenerate with `node --import tsx scripts/flags-table.ts`)", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const m = /<!-- flags:start[^>]*-->\n([\s\S]*?)\n<!-- flags:end -->/.exec(readme);
  assert.ok(m, "README has the flags:start/flags:end markers");
  assert.equal(m[1], flagsTable());
});
