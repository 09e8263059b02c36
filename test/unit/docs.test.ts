/** The README and docs/ link only inside the repository, and every link they make resolves. */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const docs = readdirSync(join(root, "docs"), { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".md"))
  .map((f) => join("docs", f));
const pages = ["README.md", ...docs];

it("README.md and docs/ link only to files of the repository that exist", () => {
  assert.ok(docs.includes(join("docs", "contract.md")) && docs.includes(join("docs", "architecture.md")));
  const broken: string[] = [];
  for (const page of pages) {
    const text = readFileSync(join(root, page), "utf8").replace(/```[\s\S]*?```/g, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const path = (target as string).split("#")[0] as string;
      if (/^[a-z]+:/i.test(target as string)) broken.push(`${page}: ${target} leaves the repository`);
      else if (path === "") continue;
      else {
        const file = resolve(dirname(join(root, page)), path);
        if (relative(root, file).startsWith("..")) broken.push(`${page}: ${target} leaves the repository`);
        else if (!existsSync(file)) broken.push(`${page}: ${target} does not exist`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

it("every path of the code that README.md and docs/ name in backticks exists", () => {
  const missing: string[] = [];
  for (const page of pages) {
    const text = readFileSync(join(root, page), "utf8");
    for (const [, span] of text.matchAll(/`([^`\n]+)`/g)) {
      // A pattern (`use-*.ts`, `<name>.ts`) names no one file: its fixed part is not checked.
      for (const [path] of (span as string).matchAll(
        /(?:^|(?<=[\s(]))(?:src|test|web|scripts|bench|\.ci)\/[\w./-]*[\w/](?![\w./-]*[*<{])/g,
      )) {
        if (!existsSync(join(root, path))) missing.push(`${page}: ${path}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});
