/**
 * `npm run demo` as a newcomer runs it: one process, no Redis, no publisher; it prints the URLs,
 * the dashboard opens, history is there, live numbers move, and Ctrl-C stops it cleanly.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";
import { eventually, freePort } from "../helpers/ports.js";

test("demo prints its URLs, serves the dashboard, fills history and counts live simulated events", async () => {
  const port = await freePort();
  const demo = runCli(["demo", "--http", `127.0.0.1:${port}`, "--rate", "50"]);
  try {
    await eventually(() => /Ctrl-C to stop/.test(demo.output().stdout), "URLs", 60_000);
    const out = demo.output().stdout;
    const base = `http://127.0.0.1:${port}`;
    assert.match(out, new RegExp(`dashboard +${base}/\\n`));
    assert.match(out, new RegExp(`GraphiQL +${base}/graphql\\n`));
    assert.match(out, /in-memory store \(nothing is persisted\)/);

    const page = await fetch(`${base}/`, { headers: { accept: "text/html" } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /live dashboard/);

    const now = new Date();
    const month = `${base}/api/stats/track/all/pageview/${now.getUTCFullYear()}/${now.getUTCMonth() + 1}`;
    const monthTotal = async () => {
      const body = (await (await fetch(month)).json()) as { data: Record<string, number> };
      return Object.values(body.data).reduce((a, b) => a + b, 0);
    };
    const first = await monthTotal();
    assert.ok(first > 0, "the month so far is filled with simulated history");
    const later = await eventually(
      async () => {
        const t = await monthTotal();
        return t > first && t;
      },
      "live simulated events counted",
      30_000,
    );
    console.log(`demo: month total ${first} at start, ${later} a moment later`);
  } finally {
    demo.child.kill("SIGINT");
  }
  const { code } = await demo.result;
  assert.equal(code, 0, "Ctrl-C stops it cleanly");
});
