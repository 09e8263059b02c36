/**
 * The docs' code snippets are the files under examples/ that test/clients runs: in README.md and
 * docs/*.md, each block after a `<!-- example: <path> -->` line is that file, verbatim. Run this
 * to copy them in again; test/unit/readme.test.ts fails when one differs.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

const BLOCK = /(<!-- example: ([^\s]+) -->\n```[a-z]*\n)([\s\S]*?)(```)/g;

/** The pages that may hold example blocks, relative to the repository: README.md and docs/**.md. */
export function docPages(): string[] {
  const docs = readdirSync(new URL("../docs", import.meta.url), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs.sort()];
}

/** The page with every example block replaced by its file's text (`read` is given the path). */
export function withExamples(page: string, read: (path: string) => string): string {
  return page.replace(BLOCK, (_all, open: string, path: string, _old: string, close: string) => {
    const text = read(path);
    return `${open}${text.endsWith("\n") ? text : `${text}\n`}${close}`;
  });
}

/** The paths a page includes, in order. */
export function examplePaths(page: string): string[] {
  return [...page.matchAll(BLOCK)].map((m) => m[2] as string);
}

export const readRepoFile = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");

if (process.argv[1]?.endsWith("readme-examples.ts")) {
  let n = 0;
  for (const page of docPages()) {
    const text = readRepoFile(page);
    n += examplePaths(text).length;
    writeFileSync(new URL(`../${page}`, import.meta.url), withExamples(text, readRepoFile));
  }
  process.stdout.write(`${n} example blocks copied from their files\n`);
}
