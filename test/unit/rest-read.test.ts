import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readRoute } from "../../src/rest/read.js";
import { isRouteError, parseRoute, type Route } from "../../src/rest/route.js";
import { createKeySpace } from "../../src/store/keys.js";
import { createMemoryBackend } from "../../src/store/memory-backend.js";
import { createStatsStore } from "../../src/store/stats-store.js";

/** The in-process store (no I/O) holding hashes as the old service, or a hand, may have left them. */
async function storeWith(hashes: Record<string, Record<string, number>>) {
  const backend = createMemoryBackend();
  await backend.applyOnce(
    "guard",
    Object.entries(hashes).map(([key, fields]) => ({
      type: "hash",
      key,
      fields: new Map(Object.entries(fields)),
      expire: false,
    })),
    { guard: 60, minute: 60 },
  );
  return createStatsStore(backend, createKeySpace(""), { minuteRetentionSeconds: 60 });
}

const route = (path: string): Route => {
  const r = parseRoute(path);
  if (isRouteError(r)) throw new Error(r.message);
  return r;
};

describe("REST reads", () => {
  it("links only the fields that are real periods, in numeric order; data keeps every non-zero field", async () => {
    const store = await storeWith({
      "track:acme:pageview:2026": { "10": 1, "9": 2, "13": 5, "07": 1, abc: 1, "0": 1, "2": 0 },
      "track:acme:pageview:2026:2": { "29": 1, "28": 1, "1": 1 },
    });
    const year = await readRoute(store, route("/track/acme/pageview/2026"));
    assert.equal(year.path, "/track/acme/pageview/2026");
    assert.deepEqual(year.children, [9, 10]);
    assert.deepEqual(Object.fromEntries(year.data ?? []), { "10": 1, "9": 2, "13": 5, "07": 1, abc: 1, "0": 1 });
    // 2026 has no 29 February: the field is shown but not linked.
    assert.deepEqual((await readRoute(store, route("/track/acme/pageview/2026/02"))).children, [1, 28]);
  });

  it("learns a funnel's months and days from their own hashes", async () => {
    const store = await storeWith({
      "funnels:acme:order:2026": { checkout: 3 },
      "funnels:acme:order:2026:3": { checkout: 1 },
      "funnels:acme:order:2026:11": { checkout: 2 },
      "funnels:acme:order:2026:11:28": { checkout: 2 },
    });
    const year = await readRoute(store, route("/funnels/acme/order/2026"));
    assert.deepEqual(year.children, [3, 11]);
    assert.deepEqual(Object.fromEntries(year.data ?? []), { checkout: 3 });
    assert.deepEqual((await readRoute(store, route("/funnels/acme/order/2026/11"))).children, [28]);
    const day = await readRoute(store, route("/funnels/acme/order/2026/11/28"));
    assert.deepEqual(day.children, []);
    assert.equal(day.path, "/funnels/acme/order/2026/11/28");
  });

  it("answers listings with null data and the hour route with no links", async () => {
    const store = await storeWith({ "track:acme:pageview:2026:11:28:3": { "5": 3 } });
    const root = await readRoute(store, route("/"));
    assert.deepEqual(root, { path: "", children: ["track", "funnels"], data: null });
    const hour = await readRoute(store, route("/track/acme/pageview/2026/11/28/03"));
    assert.deepEqual(hour.children, []);
    assert.equal(hour.path, "/track/acme/pageview/2026/11/28/3");
    assert.deepEqual(Object.fromEntries(hour.data ?? []), { "5": 3 });
  });
});
