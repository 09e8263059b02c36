#!/usr/bin/env node
// Runs the compiled service (dist/, built by `npm run build`, which `npm install` runs on `prepare`).
try {
  await import("../dist/main.js");
} catch (err) {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/main.js")) {
    process.stderr.write("stats-server: dist/ is missing; run `npm run build` (npm install does it on prepare)\n");
    process.exit(1);
  }
  throw err;
}
