/**
 * `npm run schema` prints the Pothos schema, sorted, to schema.graphql at the repo root: the
 * committed contract that clients read and codegen.ts generates from. With `--check` it writes
 * nothing and exits 1 when the committed file differs from the code (CI runs that).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { printedSchema } from "../src/graphql/schema/print.js";

const target = fileURLToPath(new URL("../schema.graphql", import.meta.url));
const printed = printedSchema();

if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = readFileSync(target, "utf8");
  } catch {
    // missing counts as stale
  }
  if (committed !== printed) {
    process.stderr.write("schema.graphql is stale: the Pothos schema changed. Run `npm run schema` and commit it.\n");
    process.exit(1);
  }
  process.stdout.write("schema.graphql is up to date\n");
} else {
  writeFileSync(target, printed);
  process.stdout.write(`wrote ${target}\n`);
}
