import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { authenticate, canRead, parseTokens, presentedToken, TokenFileError } from "../../src/auth/tokens.js";

const table = parseTokens(`
# readers
acme-reader-1234 acme
two-accounts-5678 acme,globex
admin-token-0000 *
`);

describe("API tokens", () => {
  it("no tokens configured: everyone may read everything", () => {
    const open = parseTokens("  \n# nothing\n");
    assert.equal(open.enabled, false);
    const r = authenticate(open, undefined);
    assert.ok(r.ok && canRead(r.principal, "acme") && canRead(r.principal, "all"));
  });
  it("a token reads its accounts only; `all` needs a * token", () => {
    const acme = authenticate(table, "acme-reader-1234");
    assert.ok(acme.ok);
    assert.equal(canRead(acme.principal, "acme"), true);
    assert.equal(canRead(acme.principal, "globex"), false);
    assert.equal(canRead(acme.principal, "all"), false);
    const two = authenticate(table, "two-accounts-5678");
    assert.ok(two.ok && canRead(two.principal, "globex"));
    const admin = authenticate(table, "admin-token-0000");
    assert.ok(admin.ok && canRead(admin.principal, "all") && canRead(admin.principal, "anything"));
  });
  it("missing and unknown tokens are refused with a reason", () => {
    assert.deepEqual(authenticate(table, undefined), {
      ok: false,
      reason: "an API token is required (Authorization: Bearer <token>)",
    });
    assert.deepEqual(authenticate(table, "acme-reader-123"), { ok: false, reason: "invalid API token" });
    assert.deepEqual(authenticate(table, ""), { ok: false, reason: "invalid API token" });
  });
  it("env form: entries separated by `;`", () => {
    const t = parseTokens("tok-aaaaaaaa acme; tok-bbbbbbbb *");
    assert.ok(t.lookup("tok-aaaaaaaa") && t.lookup("tok-bbbbbbbb")?.allAccounts);
  });
  it("reads the token from the Authorization header, else ?token=", () => {
    assert.equal(presentedToken("Bearer abc", "/graphql?token=zzz"), "abc");
    assert.equal(presentedToken("bearer   abc ", undefined), "abc");
    assert.equal(presentedToken("Basic abc", undefined), "", "a non-Bearer header presents an invalid token");
    assert.equal(presentedToken(undefined, "/api/stats/track?callback=f&token=t%2B1"), "t+1");
    assert.equal(presentedToken(undefined, "/graphql"), undefined);
  });
  it("rejects malformed entries with the entry number", () => {
    for (const [text, pattern] of [
      ["justatoken", /entry 1: expected/],
      ["short acme", /at least 8 characters/],
      ["token-12345 a:b", /"a:b" is not an account name/],
      ["token-12345 acme extra", /entry 1: expected/],
      ["token-12345 acme\ntoken-12345 *", /entry 2: the same token is listed twice/],
    ] as const) {
      assert.throws(
        () => parseTokens(text),
        (e: unknown) => e instanceof TokenFileError && pattern.test(e.message),
      );
    }
  });
});
