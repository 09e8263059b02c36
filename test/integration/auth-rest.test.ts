/**
 * API tokens on the legacy REST API and the app's own routes: a token reads its accounts (by
 * header, or `?token=` for JSONP), is refused others (403), sees only its accounts in listings
 * (`all` only with a `*` token), and no cached answer crosses from one token to another. A
 * missing or bad token is a 401 on every data route; /healthz and /readyz stay open; /metrics
 * wants its own token. A bad tokens file stops the executable with exit code 2 and one line.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startService } from "../../src/commands/serve.js";
import { ConfigError } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { type AuthFixture, BAD_TOKEN, bearer, startAuthFixture, TOKENS } from "../helpers/auth.js";
import { assertLegacyHeaders, type HttpAnswer, httpRequest } from "../helpers/rest-http.js";
import { testConfig } from "../helpers/service.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const METRICS_TOKEN = "metrics-secret-5555";

describe("API tokens: REST, JSONP and the app's routes", () => {
  let f: AuthFixture;
  let B: string;
  const get = (path: string, headers?: Record<string, string>) =>
    httpRequest(`${f.service.url}${path}`, headers ? { headers } : {});
  const links = (a: HttpAnswer) => (JSON.parse(a.body) as { links: string[] }).links;
  const expectError = (a: HttpAnswer, status: number, message: RegExp) => {
    assert.equal(a.status, status, a.body);
    assertLegacyHeaders(a);
    assert.match((JSON.parse(a.body) as { error: string }).error, message);
  };

  before(async () => {
    f = await startAuthFixture(["--metrics-token", METRICS_TOKEN]);
    B = `http://${new URL(f.service.url).host}/api/stats`;
  });
  after(() => f.stop());

  it("a token reads its account, by Authorization header or ?token=", async () => {
    const path = `/api/stats/track/acme/pageview/${f.year}`;
    const byHeader = await get(path, bearer(TOKENS.acme));
    assert.equal(byHeader.status, 200, byHeader.body);
    assertLegacyHeaders(byHeader);
    const body = JSON.parse(byHeader.body) as { account: string; data: Record<string, number> };
    assert.equal(body.account, "acme");
    assert.equal(
      Object.values(body.data).reduce((a, b) => a + b, 0),
      2,
    );
    const byQuery = await get(`${path}?token=${TOKENS.acme}`);
    assert.equal(byQuery.status, 200);
    assert.equal(byQuery.body, byHeader.body, "the token is not echoed anywhere");
    // Funnels and the account's listings too.
    assert.equal((await get(`/api/stats/funnels/acme/order/${f.year}`, bearer(TOKENS.acme))).status, 200);
    assert.deepEqual(links(await get("/api/stats/track/acme", bearer(TOKENS.acme))), [`${B}/track/acme/pageview`]);
  });

  it("JSONP with ?token= (a <script> cannot send headers)", async () => {
    const a = await get(`/api/stats/track/acme/pageview/${f.year}?callback=cb&token=${TOKENS.acme}`);
    assert.equal(a.status, 200, a.body);
    assertLegacyHeaders(a, "text/javascript");
    assert.match(a.body, /^\/\*\*\/cb\(\{"type":"track","account":"acme".*\}\)$/);
    assert.doesNotMatch(a.body, /token/);
    expectError(
      await get(`/api/stats/track/globex/pageview/${f.year}?callback=cb&token=${TOKENS.acme}`),
      403,
      /may not read account globex/,
    );
  });

  it("a token is refused another account (403), and `all` unless it is a * token", async () => {
    for (const path of [
      "/api/stats/track/globex",
      "/api/stats/track/globex/pageview",
      `/api/stats/track/globex/pageview/${f.year}`,
      `/api/stats/funnels/globex/order/${f.year}`,
      `/api/stats/track/all/pageview/${f.year}`,
    ]) {
      const account = path.split("/")[4] as string;
      expectError(await get(path, bearer(TOKENS.acme)), 403, new RegExp(`may not read account ${account}$`));
    }
    expectError(await get(`/api/stats/track/all/pageview/${f.year}`, bearer(TOKENS.both)), 403, /account all/);
    const admin = await get(`/api/stats/track/all/pageview/${f.year}`, bearer(TOKENS.admin));
    assert.equal(admin.status, 200);
    assert.equal(Object.values((JSON.parse(admin.body) as { data: Record<string, number> }).data)[0], 6);
  });

  it("listings show a token its accounts only; `all` only for a * token", async () => {
    const listing = async (token: string) => links(await get("/api/stats/track", bearer(token)));
    // The * token first: its answer is cached, and must not reach the others.
    assert.deepEqual(await listing(TOKENS.admin), [
      `${B}/track/acme`,
      `${B}/track/all`,
      `${B}/track/globex`,
      `${B}/track/initech`,
    ]);
    assert.deepEqual(await listing(TOKENS.acme), [`${B}/track/acme`]);
    assert.deepEqual(await listing(TOKENS.globex), [`${B}/track/globex`]);
    assert.deepEqual(await listing(TOKENS.both), [`${B}/track/acme`, `${B}/track/globex`]);
    // And the other way round: a restricted listing is never given to the * token.
    assert.equal((await listing(TOKENS.admin)).length, 4);
    assert.deepEqual(links(await get(`/api/stats/funnels?token=${TOKENS.globex}`)), [`${B}/funnels/globex`]);
  });

  it("a cached answer for one token is never served to a token that may not read it", async () => {
    const path = `/api/stats/track/globex/pageview/${f.year}`;
    assert.equal((await get(path, bearer(TOKENS.globex))).status, 200);
    assert.equal((await get(path, bearer(TOKENS.globex))).status, 200);
    expectError(await get(path, bearer(TOKENS.acme)), 403, /globex/);
    expectError(await get(path), 401, /token is required/);
  });

  it("a missing or bad token is a 401 with WWW-Authenticate on every REST route", async () => {
    for (const path of [
      "/api/stats",
      "/api/stats/",
      "/api/stats/track",
      "/api/stats/track/acme",
      "/api/stats/track/acme/pageview",
      `/api/stats/track/acme/pageview/${f.year}`,
      `/api/stats/track/acme/pageview/${f.year}?callback=cb`,
      `/api/stats/funnels/acme/order/${f.year}`,
      "/api/stats/nonsense/route",
    ]) {
      const missing = await get(path);
      expectError(missing, 401, /an API token is required/);
      assert.equal(missing.headers["www-authenticate"], 'Bearer realm="stats-server"');
      for (const headers of [
        bearer(BAD_TOKEN),
        { authorization: "Basic YWNtZTphY21l" },
        { authorization: "Bearer" },
        bearer(`${TOKENS.acme}x`),
      ]) {
        const bad = await get(path, headers);
        expectError(bad, 401, /invalid API token/);
        assert.equal(bad.headers["www-authenticate"], 'Bearer realm="stats-server", error="invalid_token"');
      }
      const badQuery = await get(`${path}${path.includes("?") ? "&" : "?"}token=${BAD_TOKEN}`);
      expectError(badQuery, 401, /invalid API token/);
    }
  });

  it("/healthz and /readyz stay open; /metrics wants --metrics-token, not an API token", async () => {
    assert.equal((await get("/healthz")).status, 200);
    assert.equal((await get("/readyz")).status, 200);
    for (const headers of [undefined, bearer(TOKENS.admin), bearer("wrong"), { authorization: METRICS_TOKEN }]) {
      const a = await get("/metrics", headers);
      assert.equal(a.status, 401, JSON.stringify(headers));
      assert.equal(a.headers["www-authenticate"], 'Bearer realm="stats-server metrics"');
      assert.match((JSON.parse(a.body) as { error: string }).error, /metrics/);
    }
    const ok = await get("/metrics", bearer(METRICS_TOKEN));
    assert.equal(ok.status, 200);
    assert.match(ok.body, /stats_events_applied_total/);
  });
});

describe("API tokens: a bad tokens file stops the start", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "stats-tokens-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (flags: string[]) =>
    promisify(execFile)(
      process.execPath,
      ["bin/stats-server.js", "--http", "127.0.0.1:0", "--store", "memory", ...flags],
      { cwd: ROOT, timeout: 30_000 },
    ).then(
      () => ({ code: 0, stderr: "" }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );

  it("exits 2 with a one-line reason: missing file, malformed entry, no token at all", async () => {
    const malformed = join(dir, "malformed");
    writeFileSync(malformed, "# ok\nshort acme\n");
    const empty = join(dir, "empty");
    writeFileSync(empty, "# nothing here\n");
    const badAccount = join(dir, "bad-account");
    writeFileSync(badAccount, "good-token-1234 acme,a:b\n");
    for (const [flags, reason] of [
      [["--tokens-file", join(dir, "missing")], /--tokens-file .*missing: cannot read it \(no such file\)/],
      [["--tokens-file", malformed], /--tokens-file .*malformed: token entry 2: a token needs at least 8 characters/],
      [["--tokens-file", empty], /--tokens-file .*empty: holds no token/],
      [["--tokens-file", badAccount], /"a:b" is not an account name/],
      [["--tokens", "good-token-1234"], /--tokens: token entry 1: expected/],
    ] as const) {
      const { code, stderr } = await run([...flags]);
      assert.equal(code, 2, stderr);
      assert.match(stderr, reason);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      assert.match(stderr, /^stats-server: /);
    }
  });

  it("startService rejects with a ConfigError before it opens anything", async () => {
    const config = testConfig(["--store", "memory", "--tokens-file", join(dir, "missing")]);
    await assert.rejects(startService(config, createLogger("silent")), ConfigError);
  });
});
