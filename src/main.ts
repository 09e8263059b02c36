/**
 * Composition root for the executable: config → service; signals → stop (flush) → exit.
 * The only module that touches process state.
 */
import { type Config, ConfigError, helpText, parseConfig } from "./config.js";
import { createLogger, type Logger } from "./log.js";
import { startService } from "./service.js";
import { createStore } from "./store/create-store.js";

/** Subcommands with their own flags, loaded only when asked for. */
const COMMANDS: Record<string, () => Promise<{ run(argv: readonly string[]): Promise<number> }>> = {
  simulate: () => import("./commands/simulate.js"),
  replay: () => import("./commands/replay.js"),
  demo: () => import("./commands/demo.js"),
};

async function main(): Promise<number> {
  const command = COMMANDS[process.argv[2] ?? ""];
  if (command) return (await command()).run(process.argv.slice(3));
  let parsed: ReturnType<typeof parseConfig>;
  try {
    parsed = parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`stats-server: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed === "help") {
    process.stdout.write(helpText());
    return 0;
  }
  const log = createLogger(parsed.logLevel);
  return parsed.command === "reindex" ? reindex(parsed, log) : serve(parsed, log);
}

async function reindex(config: Config, log: Logger): Promise<number> {
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

async function serve(config: Config, log: Logger): Promise<number> {
  const service = await startService(config, log);
  log.info(
    { role: config.role, store: config.store, zmq: config.zmq, bind: config.zmqBind, redis: config.redis },
    `stats-server listening on ${service.url} (GraphQL ${service.url}/graphql, REST ${service.url}${config.pathPrefix})`,
  );
  if (config.store === "redis") {
    waitForStore(() => service.store.ping(), 3_000).catch((err: unknown) =>
      log.error({ err: String(err), redis: config.redis }, "redis is not reachable; retrying (see /readyz)"),
    );
  }

  const signal = await new Promise<string>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  log.info({ signal }, "shutting down: stop receiving, flush, close");
  const flushed = await service.stop();
  log.info({ flushed }, "stopped");
  log.flush();
  return flushed ? 0 : 1;
}

/** Pings until the store answers or the time is up (the first connect takes a moment). */
async function waitForStore(ping: () => Promise<void>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await ping();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A ConfigError found while starting (an unreadable or malformed tokens file): one line, exit 2.
    if (err instanceof ConfigError) {
      process.stderr.write(`stats-server: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`stats-server: fatal: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
