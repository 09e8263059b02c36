/**
 * A Redis written by the old service (HINCRBY into its layout, no index, no minute keys) is
 * served unchanged. Periods answer at once; the listings (accounts, events, years) come from
 * our index, so they are empty until the operator runs `stats-server reindex`, as documented.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Service } from "../../src/commands/serve.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { assertLegacyHeaders, httpRequest } from "../helpers/rest-http.js";
import { startTestService } from "../helpers/service.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The old service's writes for a few events in 2013 (its layout: unpadded, no minutes, funnels by month). */
const OLD_WRITES: Array<[key: string, field: string, by: number]> = [];
for (const account of ["acme", "all"]) {
  OLD_WRITES.push(
    [`track:${account}:pageview:2013`, "9", 5],
    [`track:${account}:pageview:2013`, "10", 2],
    [`track:${account}:pageview:2013:9`, "5", 3],
    [`track:${account}:pageview:2013:9`, "30", 2],
    [`track:${account}:pageview:2013:9:5`, "16", 2],
    [`track:${account}:pageview:2013:9:5`, "9", 1],
    [`track:${account}:pageview:2013:9:30`, "23", 2],
    [`track:${account}:pageview:2013:10`, "1", 2],
    [`track:${account}:pageview:2013:10:1`, "0", 2],
    [`funnels:${account}:order:2013`, "checkout", 4],
    [`funnels:${account}:order:2013`, "closed", 1],
    [`funnels:${account}:order:2013:9`, "checkout", 3],
    [`funnels:${account}:order:2013:9`, "closed", 1],
    [`funnels:${account}:order:2013:10`, "checkout", 1],
  );
}

describe("REST: serving a Redis written by the old service", () => {
  let redis: TestRedis;
  let service: Service;
  let prefix: string;
  let B: string;

  const body = async (path: string) => {
    const a = await httpRequest(`${service.url}/api/stats${path}`);
    assert.equal(a.status, 200, `${path}: ${a.body}`);
    assertLegacyHeaders(a);
    return a.body;
  };
  const links = async (path: string) => JSON.parse(await body(path)).links as string[];
  /** Every counter key with its fields: what must never change by being served. */
  const counters = async () => {
    const keys = (await redis.client.keys(`${prefix}*`)).filter((k) =>
      /^(track|funnels):/.test(k.slice(prefix.length)),
    );
    const snapshot: Record<string, Record<string, string>> = {};
    for (const k of keys.sort()) snapshot[k] = await redis.client.hgetall(k);
    return snapshot;
  };

  before(async () => {
    redis = await startRedis();
    prefix = redis.prefix();
    for (const [key, field, by] of OLD_WRITES) await redis.client.hincrby(`${prefix}${key}`, field, by);
    service = await startTestService(["--role", "api", "--redis", redis.url, "--key-prefix", prefix]);
    B = `http://${new URL(service.url).host}/api/stats`;
  });
  after(async () => {
    await service.stop();
    await redis.stop();
  });

  it("answers periods straight from the old hashes, before any reindex", async () => {
    const before = await counters();
    const T = `"type":"track","account":"acme","event":"pageview"`;
    const P = `${B}/track/acme/pageview`;
    assert.equal(
      await body("/track/acme/pageview/2013"),
      `{${T},"year":"2013","month":"","day":"","links":["${P}/2013/9","${P}/2013/10"],"data":{"10":2,"9":5}}`,
    );
    assert.equal(
      await body("/track/acme/pageview/2013/09"),
      `{${T},"year":"2013","month":"09","day":"","links":["${P}/2013/9/5","${P}/2013/9/30"],"data":{"30":2,"5":3}}`,
    );
    assert.equal(
      await body("/track/acme/pageview/2013/9/5"),
      `{${T},"year":"2013","month":"9","day":"5","links":["${P}/2013/9/5/9","${P}/2013/9/5/16"],"data":{"16":2,"9":1}}`,
    );
    // The old service kept no minutes: an hour of its data has none to show.
    assert.equal(
      await body("/track/acme/pageview/2013/9/5/16"),
      `{${T},"year":"2013","month":"9","day":"5","links":[],"data":{}}`,
    );
    const F = `"type":"funnels","account":"all","event":"order"`;
    assert.equal(
      await body("/funnels/all/order/2013"),
      `{${F},"year":"2013","month":"","day":"","links":["${B}/funnels/all/order/2013/9","${B}/funnels/all/order/2013/10"],"data":{"checkout":4,"closed":1}}`,
    );
    // The old service wrote no funnel days, so a month links to none.
    assert.equal(
      await body("/funnels/all/order/2013/9"),
      `{${F},"year":"2013","month":"9","day":"","links":[],"data":{"checkout":3,"closed":1}}`,
    );
    assert.deepEqual(await counters(), before, "serving changed the old data");
  });

  it("lists nothing until the index is built: `stats-server reindex` builds it, and only it", async () => {
    // Without the index (ours, not the old service's), the listings are empty — not an error.
    assert.deepEqual(await links("/track"), []);
    assert.deepEqual(await links("/track/acme"), []);
    assert.deepEqual(await links("/track/acme/pageview"), []);
    assert.deepEqual(await links("/funnels"), []);

    const before = await counters();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["bin/stats-server.js", "reindex", "--redis", redis.url, "--key-prefix", prefix, "--log-level", "silent"],
      { cwd: ROOT, timeout: 30_000 },
    );
    // The rankings (contract §9): an entry per field of acme's track hashes (`all` is never ranked),
    // and one per year for its total.
    const acme = OLD_WRITES.filter(([key]) => key.startsWith("track:acme:"));
    const ranked =
      new Set(acme.map(([key, field]) => `${key} ${field}`)).size +
      new Set(acme.filter(([key]) => /^track:acme:[^:]+:\d+$/.test(key)).map(([key]) => key)).size;
    assert.deepEqual(JSON.parse(stdout), { scanned: 18, indexed: 18, skipped: 0, ranked });
    assert.deepEqual(await counters(), before, "reindex changed the old data");

    // Another process wrote the index: no flush announces it, so cached answers and the store's
    // cached listings each live out their documented maximum age (1 s) first: at most 2 s.
    const after = async (path: string, expected: string[]) => {
      const seen = await eventually(
        async () => {
          const got = await links(path);
          return got.length === expected.length ? got : undefined;
        },
        `${path} after reindex`,
        2_500,
      );
      assert.deepEqual(seen, expected, path);
    };
    await after("/track", [`${B}/track/acme`, `${B}/track/all`]);
    await after("/track/acme", [`${B}/track/acme/pageview`]);
    await after("/track/acme/pageview", [`${B}/track/acme/pageview/2013`]);
    await after("/funnels", [`${B}/funnels/acme`, `${B}/funnels/all`]);
    await after("/funnels/all/order", [`${B}/funnels/all/order/2013`]);
  });
});
