/**
 * The docs cannot drift from the code: docs/flags.md's tables are generated from the option tables,
 * the client snippets are the files test/clients runs, and the README stays a landing page.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { it } from "node:test";
import { FLAGS_BLOCK, FLAGS_DOC, flagsTable } from "../../scripts/flags-table.js";
import { docPages, examplePaths, readRepoFile, withExamples } from "../../scripts/readme-examples.js";

it("docs/flags.md's tables are current (regenerate with `node --import tsx scripts/flags-table.ts --write`)", () => {
  const m = FLAGS_BLOCK.exec(readFileSync(FLAGS_DOC, "utf8"));
  assert.ok(m, "docs/flags.md has the flags:start/flags:end markers");
  assert.equal(m[2], flagsTable());
});

it("the docs' client snippets are the files test/clients runs (copy them in with `node --import tsx scripts/readme-examples.ts`)", () => {
  const paths = docPages().flatMap((page) => examplePaths(readRepoFile(page)));
  for (const p of [
    "graphql-ws.ts",
    "graphql-sse.ts",
    "eventsource.ts",
    "urql.ts",
    "apollo.ts",
    "curl.sh",
    "jsonp.html",
    "events.txt",
  ]) {
    assert.ok(paths.includes(`examples/clients/${p}`), `the docs show examples/clients/${p}`);
  }
  for (const page of docPages()) {
    const text = readRepoFile(page);
    assert.equal(text, withExamples(text, readRepoFile), page);
  }
});

it("the README is a landing page: at most 20 KB, with the quick start's two commands and redis-server's install line", () => {
  const size = statSync(new URL("../../README.md", import.meta.url)).size;
  assert.ok(size <= 20_000, `README.md is ${size} bytes`);
  const readme = readRepoFile("README.md");
  assert.match(readme, /npm install && npm run demo/);
  assert.match(readme, /npm test/);
  assert.match(readme, /apt-get install redis-server/);
  assert.match(readme, /npm run demo -- --http/);
});
