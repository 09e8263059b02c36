/** Flag parsing shared by the subcommands (node's parseArgs, strict): one-line errors, exit code 2. */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { ConfigError, parseDuration } from "../config.js";

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: readonly string[],
  options: T,
  allowPositionals: boolean,
) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message.split("\n")[0] : String(err));
  }
}

export function positiveNumber(flag: string, text: string, opts: { integer?: boolean } = {}): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n <= 0 || (opts.integer && !Number.isInteger(n))) {
    throw new ConfigError(`--${flag} must be a positive ${opts.integer ? "integer" : "number"}, got "${text}"`);
  }
  return n;
}

export function durationMs(flag: string, text: string): number {
  const ms = parseDuration(text, "ms");
  if (ms === undefined || ms <= 0)
    throw new ConfigError(`--${flag} must be a duration like 500ms, 30s, 5m; got "${text}"`);
  return ms;
}

/** A rewriting progress line on a terminal; nothing when stderr is a pipe or file. */
export function progressLine(stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  let shown = false;
  return {
    tty,
    show(text: string) {
      if (!tty) return;
      stream.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    done() {
      if (shown) stream.write("\n");
      shown = false;
    },
  };
}
