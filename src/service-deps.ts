import type { TokenTable } from "./auth/tokens.js";
import type { Config } from "./config.js";
import type { StatsStore } from "./domain/types.js";
import type { Ingest } from "./ingest/ingest.js";
import type { Logger } from "./log.js";
import type { Metrics } from "./metrics.js";

/** What an HTTP mount (GraphQL, REST) may use. `ingest` is there when this process ingests. */
export interface ServiceDeps {
  config: Config;
  store: StatsStore;
  metrics: Metrics;
  log: Logger;
  ingest: Ingest | undefined;
  /** API tokens, loaded at start (`enabled` false: every route is open, as before). */
  tokens: TokenTable;
}
