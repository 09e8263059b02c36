/**
 * Prints docs/flags.md's tables from the option tables (src/options.ts): the service's, then each
 * other command's own. test/unit/readme.test.ts checks that the file holds exactly this between its
 * flags:start and flags:end markers; run this and paste, or `--write` to replace it in place.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { COMMANDS, OPTIONS, type OptionSpec } from "../src/options.js";

export const FLAGS_DOC = new URL("../docs/flags.md", import.meta.url);
export const FLAGS_BLOCK = /(<!-- flags:start[^>]*-->\n)([\s\S]*?)(\n<!-- flags:end -->)/;

function table(options: readonly OptionSpec[]): string {
  const rows = options.map((o) => {
    const aliases = o.aliases?.length ? ` (old: ${o.aliases.map((a) => `\`--${a}\``).join(", ")})` : "";
    const def = o.def === "" ? "—" : `\`${o.def}\``;
    return `| \`--${o.flag}\`${aliases} | \`${o.env}\` | ${def} | ${o.help.replace(/\|/g, "\\|")} |`;
  });
  return ["| flag | environment | default | meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** The service's table (`stats-server`, `reindex`), then one section per other command. */
export function flagsTable(): string {
  const parts = ["### `stats-server` (the service) and `stats-server reindex`", table(OPTIONS)];
  for (const c of COMMANDS.filter((x) => x.options !== OPTIONS)) {
    const usage = `stats-server ${c.name}${c.operand ? ` ${c.operand}` : ""}`;
    const also = c.serviceOptions ? " It also reads every service flag above." : "";
    const summary = `${c.summary.charAt(0).toUpperCase()}${c.summary.slice(1)}`;
    parts.push(`### \`${usage}\``, `${summary}.${also}`, table(c.options));
  }
  return parts.join("\n\n");
}

if (process.argv[1]?.endsWith("flags-table.ts")) {
  if (process.argv.includes("--write")) {
    const doc = readFileSync(FLAGS_DOC, "utf8");
    if (!FLAGS_BLOCK.test(doc)) throw new Error("docs/flags.md has no flags:start/flags:end markers");
    writeFileSync(
      FLAGS_DOC,
      doc.replace(FLAGS_BLOCK, (_all, open: string, _old, close: string) => open + flagsTable() + close),
    );
  } else process.stdout.write(`${flagsTable()}\n`);
}
