/**
 * Defect 7 of issue 8: with `--time-source event`, time parsing guessed silently. Millisecond times
 * before 1973-03-03 were read as seconds and landed in years up to 5138; `"20260131"` was read as
 * unix seconds (1970); an unparseable time fell back to receive time with no metric. The rule now:
 * numbers are milliseconds from 1e11 up and seconds below, and a time outside `--event-years`
 * (default 2000 to next year) is refused. Every fallback to receive time is counted by reason, and
 * no event lands in a year that is neither its own nor the year it was received.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { trackTotal } from "../helpers/ingest.js";
import { eventually } from "../helpers/ports.js";
import type { TestRedis } from "../helpers/redis.js";
import { metricValue, type ServiceRig, startServiceRig } from "../helpers/service.js";
import { pageview, type TestPublisher } from "../helpers/zmq.js";

const EARLY = 2_000;
const EACH = 100;

describe("faults: event times that must not be guessed", () => {
  let redis: TestRedis;
  let pub: TestPublisher;
  let service: Service;
  let prefix: string;

  let rig: ServiceRig;

  before(async () => {
    rig = await startServiceRig(["--time-source", "event"]);
    ({ redis, pub, service, prefix } = rig);
  });
  after(() => rig.stop());

  it("refuses ms times before 1973 read as seconds and compact dates, counts every fallback, keeps good times", async (t) => {
    const receiveYears = new Set([new Date().getUTCFullYear(), new Date().getUTCFullYear() + 1].map(String));
    // Millisecond times of 1970-01-24 .. 1973-03-03: below 1e11, so read as seconds (2033 .. 5138).
    for (let i = 0; i < EARLY; i++) await pub.send(pageview("early", {}, 2e9 + Math.floor(Math.random() * 9.8e10)));
    for (let i = 0; i < EACH; i++) await pub.send(pageview("compact", {}, "20260131"));
    for (let i = 0; i < EACH; i++) await pub.send(pageview("junk", {}, "yesterday"));
    for (let i = 0; i < EACH; i++) await pub.send(pageview("missing"));
    const good = Date.UTC(2024, 6, 1, 12);
    for (let i = 0; i < EACH; i++) await pub.send(pageview("good", {}, i % 2 ? good : String(good / 1000)));
    const total = EARLY + 4 * EACH;
    const text = () => fetch(`${service.url}/metrics`).then((r) => r.text());
    await eventually(
      async () => metricValue(await text(), "stats_events_applied_total") === total,
      "all applied",
      30_000,
    );

    const years = async (account: string) =>
      (await redis.client.smembers(`${prefix}index:track:years:${account}:pageview`)).sort();
    const landed: Record<string, string[]> = {};
    for (const a of ["early", "compact", "junk", "missing", "good"]) landed[a] = await years(a);
    const shown = Object.entries(landed).map(
      ([a, ys]) => `${a}: ${ys.length > 4 ? `${ys.length} years, ${ys[0]}..${ys.at(-1)}` : ys.join(",")}`,
    );
    t.diagnostic(`years landed in: ${shown.join("; ")}`);
    for (const a of ["early", "compact", "junk", "missing"]) {
      assert.ok(landed[a]?.length && landed[a].every((y) => receiveYears.has(y)), `${a} landed in ${shown.join("; ")}`);
    }
    assert.deepEqual(landed["good"], ["2024"]);
    assert.equal(await trackTotal(redis.client, prefix, "all"), total, "every event counted once");

    const m = await text();
    const fallbacks = (reason: string) => metricValue(m, `stats_event_time_fallbacks_total{reason="${reason}"}`);
    assert.equal(fallbacks("out_of_range"), EARLY + EACH);
    assert.equal(fallbacks("unparseable"), EACH);
    assert.equal(fallbacks("missing"), EACH);
    t.diagnostic(
      `${total} sent, ${total} counted; fallbacks out_of_range ${fallbacks("out_of_range")}, ` +
        `unparseable ${fallbacks("unparseable")}, missing ${fallbacks("missing")}; 100 good times kept (2024)`,
    );
  });
});
