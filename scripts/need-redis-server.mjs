#!/usr/bin/env node
// Run before the suites that start their own redis-server (npm test's pretest): without one on
// PATH every test file would wait for it and fail with a connection error, so say what is missing
// and how to install it, at once. Only looks at PATH: costs a few milliseconds.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

const onPath = (name) =>
  (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir || ".", name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

if (!onPath("redis-server")) {
  process.stderr.write(
    [
      "npm test needs redis-server: the tests start their own, on free ports (never your Redis on 6379).",
      "Install it:  sudo apt-get install redis-server     (Debian, Ubuntu; macOS: brew install redis)",
      "",
    ].join("\n"),
  );
  process.exit(1);
}
