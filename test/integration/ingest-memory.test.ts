/**
 * `--store memory`: the executable counts a stream with the embedded store (no Redis anywhere),
 * serves what it counted, and warns loudly that nothing is persisted.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { logLines, metric, spawnServer } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import { order, pageview, startPublisher } from "../helpers/zmq.js";

describe("stats-server --store memory", () => {
  it("counts a stream end to end and says nothing is persisted", async () => {
    const pub = await startPublisher();
    // --redis points at a closed port: the memory store must never need it.
    const server = await spawnServer([
      "--store",
      "memory",
      "--redis",
      "redis://127.0.0.1:1",
      "--zmq",
      pub.endpoint,
      "--flush-interval",
      "20ms",
      "--time-source",
      "event",
    ]);
    try {
      await pub.waitForSubscribers();
      const N = 3_000;
      // Events carry their own time, so no month boundary can fall inside the test.
      const time = "2013-09-05T16:07:30Z";
      for (let i = 0; i < N; i++) await pub.send(pageview(i % 3 ? "acme" : "beta", { unq: i % 10 ? "0" : "1" }, time));
      for (let i = 0; i < 30; i++) await pub.send(order("acme", i % 3 ? "paid" : "open", time));
      await eventually(
        async () => (await metric(server.url, "stats_events_applied_total")) === N + 30,
        "every event applied",
        20_000,
      );
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);

      const [Y, M] = [2013, 9];
      const rest = async (path: string) => {
        const res = await fetch(`${server.url}/api/stats/${path}`);
        assert.equal(res.status, 200, path);
        return ((await res.json()) as { data: Record<string, number> | null }).data;
      };
      // Read back through the API, as a user would.
      assert.deepEqual(await rest(`track/acme/pageview/${Y}`), { [M]: N - N / 3 });
      assert.deepEqual(await rest(`track/beta/pageview/${Y}`), { [M]: N / 3 });
      assert.deepEqual(await rest(`track/all/pageview/${Y}`), { [M]: N });
      assert.deepEqual(await rest(`track/all/unique/${Y}`), { [M]: N / 10 });
      assert.deepEqual(await rest(`funnels/acme/order/${Y}`), { paid: 20, open: 10 });

      const warning = logLines(server.stderr()).find((l) => l["level"] === 40 && /in memory/i.test(String(l["msg"])));
      assert.ok(warning, `a warning that the store is in memory:\n${server.stderr()}`);
      assert.match(String(warning["msg"]), /nothing is persisted/);
      assert.doesNotMatch(server.stderr(), /redis connection error/);
    } finally {
      assert.equal((await server.stop("SIGTERM")).code, 0, server.stderr());
      pub.close();
    }
  });
});
