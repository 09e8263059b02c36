/**
 * Defect 8 of issue 8: `.` and `..` passed the name rule. Once a client normalises the URL, REST
 * links for such an account point at other routes (`/track/..` is the prefix itself). Names made
 * only of dots are refused everywhere a name enters: on the bus (dropped as bad_account, never
 * stored or listed), in GraphQL arguments (BAD_USER_INPUT) and in REST paths (400, also when the
 * dots arrive percent-encoded). Names that merely contain dots still work.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { eventually } from "../helpers/ports.js";
import type { TestRedis } from "../helpers/redis.js";
import { httpRequest } from "../helpers/rest-http.js";
import { metricValue, type ServiceRig, startServiceRig } from "../helpers/service.js";
import { pageview, type TestPublisher } from "../helpers/zmq.js";

const DOTS = [".", "..", "..."];

describe("faults: names made only of dots", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let service: Service;
  let prefix: string;

  let rig: ServiceRig;

  before(async () => {
    rig = await startServiceRig();
    ({ redis, pub, service, prefix } = rig);
  });
  after(() => rig.stop());

  const metrics = async () => (await fetch(`${service.url}/metrics`)).text();

  it("drops them on the bus (bad_account) and stores, lists and links none of them", async (t) => {
    for (const name of DOTS) await pub.send(pageview(name));
    await pub.send(pageview("a.b"));
    await eventually(
      async () => metricValue(await metrics(), "stats_events_applied_total") === 1,
      "the valid event applied",
    );
    const dropped = metricValue(await metrics(), 'stats_events_dropped_total{reason="bad_account"}');
    assert.equal(dropped, DOTS.length);
    assert.deepEqual((await redis.client.smembers(`${prefix}index:track:accounts`)).sort(), ["a.b", "all"]);
    const listing = await httpRequest(`${service.url}/api/stats/track`);
    const links = (JSON.parse(listing.body) as { links: string[] }).links;
    assert.ok(
      links.every((l) => !/\/\.+$/.test(l)),
      `no dot-only link: ${links.join(" ")}`,
    );
    t.diagnostic(`sent ${DOTS.length} dot-only accounts + 1 valid: ${dropped} dropped as bad_account, 1 counted`);
  });

  it("answers BAD_USER_INPUT in GraphQL and 400 on REST", async () => {
    for (const name of DOTS) {
      const res = await fetch(`${service.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: 'query($a: String!) { events(account: $a) funnel(account: $a, event: "order", year: 2026) { total } }',
          variables: { a: name },
        }),
      });
      const body = (await res.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
      assert.ok(body.errors && body.errors.length > 0, `GraphQL ${JSON.stringify(name)}: an error`);
      for (const e of body.errors ?? []) {
        assert.equal(e.extensions?.code, "BAD_USER_INPUT", `${name}: ${e.message}`);
        assert.match(e.message, /not only dots/);
      }
      const encoded = name.replace(/\./g, "%2E");
      for (const path of [
        `/api/stats/track/${name}/pageview`,
        `/api/stats/funnels/${encoded}`,
        `/api/stats/track/a/${encoded}`,
      ]) {
        const r = await httpRequest(`${service.url}${path}`);
        assert.equal(r.status, 400, `${path}: ${r.status} ${r.body}`);
        assert.match(r.body, /not only dots/);
      }
    }
    const ok = await httpRequest(`${service.url}/api/stats/track/a.b/pageview`);
    assert.equal(ok.status, 200);
  });
});
