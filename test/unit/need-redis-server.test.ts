/**
 * `npm test` without redis-server on PATH stops before building or running anything, with the
 * line that installs it. Runs the real `npm test` with a PATH that has node, npm and sh only.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let bin = "";

/** Where `name` is on this machine's PATH. */
const which = async (name: string) => (await run("sh", ["-c", `command -v ${name}`])).stdout.trim();

before(async () => {
  bin = await mkdtemp(join(tmpdir(), "stats-path-"));
  for (const name of ["node", "npm", "sh"]) await symlink(await which(name), join(bin, name));
});
after(async () => {
  if (bin) await rm(bin, { recursive: true, force: true });
});

it("npm test without redis-server fails at once with the install line, before the build", async () => {
  const failed = await run("npm", ["test"], {
    cwd: ROOT,
    env: { PATH: bin, HOME: process.env["HOME"] ?? tmpdir() },
    timeout: 60_000,
  }).then(
    () => undefined,
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
  assert.ok(failed, "npm test fails");
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, /npm test needs redis-server/);
  assert.match(failed.stderr, /apt-get install redis-server/);
  assert.doesNotMatch(failed.stdout, /scripts\/build\.mjs/, "stops before the build");
});
