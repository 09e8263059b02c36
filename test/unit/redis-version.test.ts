import assert from "node:assert/strict";
import { it } from "node:test";
import { tooOldForTop } from "../../src/store/redis-version.js";

it("top needs Redis 6.2 (ZUNION): older versions are named at start", () => {
  for (const old of ["5.0.14", "6.0.16", "6.1.9", "3.2.12"]) assert.equal(tooOldForTop(old), true, old);
  for (const ok of ["6.2.0", "6.2.14", "7.0.15", "7.2.4", "10.0.0"]) assert.equal(tooOldForTop(ok), false, ok);
});
