/** Prints the README's flag table from the option definitions (test/unit/readme.test.ts checks it is current). */
import { OPTIONS } from "../src/options.js";

export function flagsTable(): string {
  const rows = OPTIONS.map((o) => {
    const aliases = o.aliases?.length ? ` (old: ${o.aliases.map((a) => `\`--${a}\``).join(", ")})` : "";
    const def = o.def === "" ? "—" : `\`${o.def}\``;
    return `| \`--${o.flag}\`${aliases} | \`${o.env}\` | ${def} | ${o.help.replace(/\|/g, "\\|")} |`;
  });
  return ["| flag | environment | default | meaning |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

if (process.argv[1]?.endsWith("flags-table.ts")) process.stdout.write(`${flagsTable()}\n`);
