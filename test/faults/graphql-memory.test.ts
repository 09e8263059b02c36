/**
 * No stream of plain queries can exhaust the process: the service as a real process (with its own
 * redis-server), four clients asking 20 s of distinct `series` windows in half-hour and
 * quarter-hour zones (HOUR, `last` up to 700, `{ total }` only or with `previous`, zone names in
 * varying case), a fifth asking a cheap query all along. Every cheap query is answered, every
 * window is answered or refused with a clear error (never a dropped connection), and the
 * resident memory (VmRSS in /proc) stays under 600 MB throughout. Before the plans were compact
 * and the caches bounded by bytes, one such plan held ~2.7 MB and 2,000 were kept: this test saw
 * 486-668 MB after 20 s on a loaded 2-core machine (which builds only ~160-250 such plans in that
 * time), and about 1,700 of them end the process with "JavaScript heap out of memory".
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { type ProcessRig, startProcessRig } from "../helpers/ingest.js";
import { sleep } from "../helpers/ports.js";
import { metricValue } from "../helpers/service.js";
import { postJson } from "./graphql-clients.js";

const RUN_MS = 20_000;
const RSS_LIMIT_MB = 600;
/** A hang guard for one cheap query: 10x and more what it takes even on a busy 2-core machine. */
const CHEAP_WITHIN_MS = 10_000;
const ZONES = [
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Australia/Adelaide",
  "Australia/Darwin",
  "America/St_Johns",
  "Asia/Yangon",
  "Asia/Kabul",
  "Australia/Eucla",
  "Pacific/Chatham",
  "Pacific/Marquesas",
  "Asia/Colombo",
  "Asia/Tehran",
];

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** A zone name with its letters' case shuffled by `n` (the service must treat it as the same zone). */
function spelled(zone: string, n: number): string {
  return [...zone].map((c, i) => ((n >> (i % 16)) & 1 ? c.toUpperCase() : c.toLowerCase())).join("");
}

describe("memory: distinct series windows from four clients", () => {
  let rig: ProcessRig;
  before(async () => {
    rig = await startProcessRig(["--log-level", "warn"]);
  });
  after(async () => {
    await rig?.stop();
  });

  it("answers throughout and stays under 600 MB resident", async () => {
    const pid = rig.server.proc.pid as number;
    const url = rig.server.url;
    const until = Date.now() + RUN_MS;
    let peak = rssMb(pid);
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(pid));
    }, 200);
    const outcomes = { answered: 0, refused: new Map<string, number>() };
    const client = async (c: number) => {
      let i = 0;
      while (Date.now() < until) {
        i++;
        const zone =
          i % 3 === 0 ? spelled(ZONES[(c + i) % ZONES.length] as string, i) : ZONES[(c * 7 + i) % ZONES.length];
        // Within the minute retention (30 days), previous included: every window can be answered.
        const withPrevious = i % 2 === 1;
        const last = withPrevious ? 150 + ((c * 997 + i * 13) % 200) : 450 + ((c * 997 + i * 13) % 265);
        const fields = withPrevious ? "total previous { total }" : "total";
        const r = await postJson(url, {
          query: `query ($z: String!, $n: Int!) { series(account: "acme", event: "pageview", granularity: HOUR, timeZone: $z, last: $n) { ${fields} } }`,
          variables: { z: zone, n: last },
        });
        if (r.body.data?.["series"]) outcomes.answered++;
        else {
          const code = String(r.body.errors?.[0]?.extensions?.["code"]);
          outcomes.refused.set(code, (outcomes.refused.get(code) ?? 0) + 1);
        }
      }
    };
    const cheapTimes: number[] = [];
    const cheap = async () => {
      while (Date.now() < until) {
        const t0 = Date.now();
        const r = await Promise.race([
          postJson(url, { query: "{ accounts }" }),
          sleep(CHEAP_WITHIN_MS).then(() => undefined),
        ]);
        assert.ok(r, `a cheap query was not answered within ${CHEAP_WITHIN_MS} ms`);
        assert.equal(r.status, 200, r.text);
        assert.ok(Array.isArray(r.body.data?.["accounts"]), r.text);
        cheapTimes.push(Date.now() - t0);
        await sleep(100);
      }
    };
    try {
      await Promise.all([client(0), client(1), client(2), client(3), cheap()]);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, rssMb(pid));
    const refused = Object.fromEntries(outcomes.refused);
    console.log(
      `answered ${outcomes.answered} windows, refused ${JSON.stringify(refused)}; ${cheapTimes.length} cheap queries, slowest ${Math.max(...cheapTimes)} ms; peak RSS ${peak.toFixed(0)} MB`,
    );
    assert.ok(outcomes.answered > 0, "some windows were answered");
    // Only a clear refusal is acceptable: the memory budget or the cost limit, never a masked error.
    for (const code of outcomes.refused.keys()) assert.ok(["MEMORY_EXHAUSTED", "BAD_USER_INPUT"].includes(code), code);
    assert.ok(cheapTimes.length > 0);
    assert.ok(peak < RSS_LIMIT_MB, `peak RSS ${peak.toFixed(0)} MB, limit ${RSS_LIMIT_MB} MB`);
    assert.equal(rig.server.proc.exitCode, null, "the service is still running");
    // What the kept plans hold is reported, and within its budget.
    const text = await (await fetch(`${url}/metrics`)).text();
    const plans = metricValue(text, 'stats_cache_bytes{cache="plans"}');
    assert.ok(plans > 0 && plans <= metricValue(text, 'stats_cache_max_bytes{cache="plans"}'), `plans: ${plans} bytes`);
  });
});
