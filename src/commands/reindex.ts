/**
 * `stats-server reindex`: rebuilds the listing index from the counter keys already in Redis
 * (SCAN, never KEYS), prints what it did as one JSON line, and exits.
 */
import type { Config } from "../config.js";
import { createLogger } from "../log.js";
import { createStore, waitForStore } from "../store/create-store.js";

export async function reindex(config: Config): Promise<number> {
  const log = createLogger(config.logLevel);
  const store = createStore(config, log);
  try {
    await waitForStore(() => store.ping(), 5_000);
    const report = await store.reindex();
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  } catch (err) {
    log.error({ err: String(err), redis: config.redis }, "reindex failed");
    return 1;
  } finally {
    await store.close();
  }
}
