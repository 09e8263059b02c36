/**
 * The README's client snippets are the files under examples/ that test/clients runs: each block
 * after a `<!-- example: <path> -->` line is that file, verbatim. Run this to copy them in again;
 * test/unit/readme.test.ts fails when one differs.
 */
import { readFileSync, writeFileSync } from "node:fs";

const README = new URL("../README.md", import.meta.url);
const BLOCK = /(<!-- example: ([^\s]+) -->\n```[a-z]*\n)([\s\S]*?)(```)/g;

/** The README with every example block replaced by its file's text (`read` is given the path). */
export function withExamples(readme: string, read: (path: string) => string): string {
  return readme.replace(BLOCK, (_all, open: string, path: string, _old: string, close: string) => {
    const text = read(path);
    return `${open}${text.endsWith("\n") ? text : `${text}\n`}${close}`;
  });
}

/** The paths the README includes, in order. */
export function examplePaths(readme: string): string[] {
  return [...readme.matchAll(BLOCK)].map((m) => m[2] as string);
}

export const readRepoFile = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");

if (process.argv[1]?.endsWith("readme-examples.ts")) {
  const readme = readFileSync(README, "utf8");
  writeFileSync(README, withExamples(readme, readRepoFile));
  process.stdout.write(`README: ${examplePaths(readme).length} example blocks copied from their files\n`);
}
