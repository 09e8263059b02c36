/** The README documents every flag: its table is generated from the option definitions and must match. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { flagsTable } from "../../scripts/flags-table.js";
import { examplePaths, readRepoFile, withExamples } from "../../scripts/readme-examples.js";

it("README's flag table is current (regenerate with `node --import tsx scripts/flags-table.ts`)", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const m = /<!-- flags:start[^>]*-->\n([\s\S]*?)\n<!-- flags:end -->/.exec(readme);
  assert.ok(m, "README has the flags:start/flags:end markers");
  assert.equal(m[1], flagsTable());
});

it("README's client snippets are the files test/clients runs (copy them in with `node --import tsx scripts/readme-examples.ts`)", () => {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const paths = examplePaths(readme);
  for (const p of [
    "graphql-ws.ts",
    "graphql-sse.ts",
    "eventsource.ts",
    "urql.ts",
    "apollo.ts",
    "curl.sh",
    "jsonp.html",
  ]) {
    assert.ok(paths.includes(`examples/clients/${p}`), `README shows examples/clients/${p}`);
  }
  assert.equal(readme, withExamples(readme, readRepoFile));
});
