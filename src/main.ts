/**
 * The executable: reads the flags, picks the command and hands over. The command module is
 * imported only once chosen, so `--help` and a bad flag load nothing but the config.
 */
import { type Config, ConfigError, helpText, parseConfig } from "./config.js";

const COMMANDS: Record<Config["command"], () => Promise<{ run(config: Config): Promise<number> }>> = {
  serve: async () => ({ run: (await import("./commands/serve.js")).serve }),
  reindex: async () => ({ run: (await import("./commands/reindex.js")).reindex }),
};

/** Subcommands with flags of their own (not the service's), loaded only when asked for. */
const TOOLS: Record<string, () => Promise<{ run(argv: readonly string[]): Promise<number> }>> = {
  simulate: () => import("./commands/simulate.js"),
  replay: () => import("./commands/replay.js"),
  demo: () => import("./commands/demo.js"),
};

async function main(): Promise<number> {
  const tool = TOOLS[process.argv[2] ?? ""];
  if (tool) return (await tool()).run(process.argv.slice(3));
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
  const command = await COMMANDS[parsed.command]();
  return command.run(parsed);
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
