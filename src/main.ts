/**
 * The executable: reads the command line, picks the command and hands over. The command module
 * is imported only once chosen, so `--help` and a bad flag load nothing but the config.
 */
import { ConfigError, configFrom, type Flags, helpText, parseCommandLine, version } from "./config.js";
import type { CommandName } from "./options.js";

/** Each command of the registry (src/options.ts, COMMANDS) and the module that runs it. */
const RUN: Record<CommandName, (flags: Flags) => Promise<number>> = {
  serve: async (flags) => (await import("./commands/serve.js")).serve(configFrom(flags, "serve")),
  reindex: async (flags) => (await import("./commands/reindex.js")).reindex(configFrom(flags, "reindex")),
  simulate: async (flags) => (await import("./commands/simulate.js")).run(flags),
  replay: async (flags) => (await import("./commands/replay.js")).run(flags),
  demo: async (flags) => (await import("./commands/demo.js")).run(flags),
};

async function main(): Promise<number> {
  const line = parseCommandLine(process.argv.slice(2), process.env);
  if (line === "version") {
    process.stdout.write(`stats-server ${version()}\n`);
    return 0;
  }
  if ("help" in line) {
    process.stdout.write(helpText(line.help));
    return 0;
  }
  return RUN[line.command.name](line.flags);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A bad flag, or a ConfigError found while starting (an unreadable tokens file): one line, exit 2.
    if (err instanceof ConfigError) {
      process.stderr.write(`stats-server: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`stats-server: fatal: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
