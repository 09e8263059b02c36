/**
 * For the API token tests: a tokens file in a temp dir, and a whole service (real redis-server,
 * real ZeroMQ publisher) fed with events for three accounts, so that each token has something
 * to read and something it may not.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Service } from "../../src/commands/serve.js";
import { eventually } from "./ports.js";
import { startRedis, type TestRedis } from "./redis.js";
import { startTestService, wiring } from "./service.js";
import { order, pageview, startPublisher, type TestPublisher } from "./zmq.js";

export const TOKENS = {
  acme: "acme-token-1111",
  globex: "globex-token-2222",
  /** acme and globex, not the rollup `all`. */
  both: "two-accounts-3333",
  /** Every account, `all` included. */
  admin: "admin-token-0000",
} as const;
/** Well-formed, but not in the file. */
export const BAD_TOKEN = "not-a-token-9999";

export const TOKENS_FILE = `# API tokens for the tests
${TOKENS.acme} acme
${TOKENS.globex} globex
${TOKENS.both} acme,globex
${TOKENS.admin} *
`;

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface AuthFixture {
  service: Service;
  pub: TestPublisher;
  redis: TestRedis;
  tokensFile: string;
  year: number;
  stop(): Promise<void>;
}

/** Starts the service with the tokens file (plus `flags`) and waits until the events are stored. */
export async function startAuthFixture(flags: string[] = []): Promise<AuthFixture> {
  const dir = mkdtempSync(join(tmpdir(), "stats-tokens-"));
  const tokensFile = join(dir, "tokens");
  writeFileSync(tokensFile, TOKENS_FILE, { mode: 0o600 });
  const redis = await startRedis();
  const pub = await startPublisher();
  const service = await startTestService([
    ...wiring(redis.url, pub.endpoint, redis.prefix()),
    "--tokens-file",
    tokensFile,
    ...flags,
  ]);
  await pub.waitForSubscribers();
  for (const m of [
    pageview("acme"),
    pageview("acme"),
    pageview("globex"),
    pageview("globex"),
    pageview("globex"),
    pageview("initech"),
    order("acme", "paid"),
    order("globex", "paid"),
  ]) {
    await pub.send(m);
  }
  const year = new Date().getUTCFullYear();
  await eventually(async () => {
    const counts = await service.store.counts("track", "all", "pageview", { year });
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const funnels = await service.store.accounts("funnels");
    return total === 6 && funnels.includes("globex");
  }, "the test events stored");
  return {
    service,
    pub,
    redis,
    tokensFile,
    year,
    async stop() {
      await service.stop();
      pub.close();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
