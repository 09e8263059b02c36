/**
 * `stats-server demo` (`npm run demo`): everything in one process, nothing else needed: the
 * embedded memory store, a simulator publishing on a private port, the API, the dashboard and
 * GraphiQL. The month so far is filled with simulated history first, so the charts have a shape
 * from the first second; live events follow. Prints the URLs to open.
 */
import { ConfigError, type Flags, parseConfig } from "../config.js";
import { ROLLUP_ACCOUNT } from "../domain/names.js";
import { accountNames, dailyShape, seededRandom, UNIQUE_SHARE } from "../domain/simulation.js";
import type { StatsStore } from "../domain/types.js";
import { bucketOf } from "../ingest/bucket.js";
import { Coalescer } from "../ingest/coalesce.js";
import { createLogger } from "../log.js";
import { startService } from "./serve.js";
import { startSimulator } from "./simulate.js";

export async function run(flags: Flags): Promise<number> {
  const rate = flags.number("rate");
  const accounts = flags.int("accounts", 1);
  const http = flags.str("http");
  // The service's flags as the demo sets them; the rest (tokens, limits) still come from STATS_*.
  // Checked before the simulator binds; its endpoint (a free port) replaces the placeholder.
  const parsed = parseConfig(
    ["--store", "memory", "--zmq", "tcp://127.0.0.1:0", "--http", http, "--log-level", flags.str("log-level")],
    process.env,
  );
  if (parsed === "help") throw new ConfigError("unexpected --help");
  const sim = await startSimulator({
    endpoint: "tcp://127.0.0.1:*",
    rate,
    rhythm: true,
    accounts,
    waitForSubscriber: true,
  });
  const config = { ...parsed, zmq: [sim.endpoint] };
  const log = createLogger(config.logLevel);
  let service: Awaited<ReturnType<typeof startService>>;
  try {
    service = await startService(config, log);
  } catch (err) {
    sim.stop();
    await sim.done;
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      // Under npm (`npm run demo`) a flag needs the `--` that hands it to the script.
      const again =
        process.env["npm_lifecycle_event"] === "demo" ? "npm run demo -- --http" : "stats-server demo --http";
      throw new ConfigError(
        `${http} is in use: pick another address, e.g. \`${again} localhost:8011\` (or STATS_HTTP=localhost:8011)`,
      );
    }
    throw err;
  }
  if (flags.bool("history")) await fillHistory(service.store, accountNames(accounts), rate, Date.now());
  const url = service.url.replace("127.0.0.1", config.http.host === "localhost" ? "localhost" : "127.0.0.1");
  const year = new Date().getUTCFullYear();
  process.stdout.write(
    [
      "",
      `stats-server demo: in-memory store (nothing is persisted), ${rate} simulated events/s over ${accounts} accounts`,
      "",
      `  dashboard   ${url}/`,
      `  GraphiQL    ${url}/graphql`,
      `  REST        ${url}${config.pathPrefix}/track/all/pageview/${year}`,
      `  metrics     ${url}/metrics`,
      "",
      "Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  sim.stop();
  await sim.done;
  await service.stop();
  return 0;
}

/**
 * Simulated counts for every hour of the current UTC month before this one (and the minutes of
 * the last hour, for the "last 60 minutes" chart), following the simulator's rhythm and mix.
 * Written as one batch through the store, as a flush would.
 */
export async function fillHistory(store: StatsStore, accounts: readonly string[], rate: number, nowMs: number) {
  const random = seededRandom(42);
  const pending = new Coalescer();
  const weights = accounts.map((_, i) => 1 / (i + 1));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const monthStart = Date.UTC(new Date(nowMs).getUTCFullYear(), new Date(nowMs).getUTCMonth(), 1);
  const thisHour = Math.floor(nowMs / 3_600_000) * 3_600_000;
  const add = (atMs: number, seconds: number) => {
    const b = bucketOf(atMs);
    for (const [i, account] of accounts.entries()) {
      const mean = (rate * seconds * dailyShape(atMs) * (weights[i] as number)) / totalWeight;
      const views = Math.round(mean * (1 - 0.08) * (0.8 + 0.4 * random()));
      if (views === 0) continue;
      const uniques = Math.round(views * UNIQUE_SHARE * (0.8 + 0.4 * random()));
      const orders = Math.round(mean * 0.08 * (0.8 + 0.4 * random()));
      for (const acc of [account, ROLLUP_ACCOUNT]) {
        pending.addTrack(acc, "pageview", b, views);
        if (uniques > 0) pending.addTrack(acc, "unique", b, uniques);
        // Carts, and the shares that get further (as the simulator's orders do).
        let left = orders;
        for (const [status, share] of [
          ["cart", 1],
          ["checkout", 0.6],
          ["paid", 0.48],
          ["shipped", 0.46],
        ] as const) {
          const n = Math.round(left * share);
          if (n > 0 && status === "cart") left = n;
          if (n > 0) pending.addFunnel(acc, "order", status, b, n);
        }
      }
    }
  };
  for (let t = monthStart; t < thisHour - 3_600_000; t += 3_600_000) add(t, 3_600);
  for (let t = Math.max(monthStart, thisHour - 3_600_000); t < Math.floor(nowMs / 60_000) * 60_000; t += 60_000) {
    add(t, 60);
  }
  const { deltas } = pending.drain();
  await store.apply({ id: `demo-history:${nowMs}`, deltas, events: 0 });
}
