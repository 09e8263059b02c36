/**
 * The token table, read once at start from --tokens-file and --tokens (STATS_TOKENS) together.
 * Anything wrong with them stops the start with a one-line ConfigError (main.ts exits 2): a
 * service that meant to require tokens must never come up open because its file was unreadable.
 */
import { readFile } from "node:fs/promises";
import { type Config, ConfigError } from "../config.js";
import { parseTokens, TokenFileError, type TokenTable } from "./tokens.js";

export async function loadTokenTable(config: Pick<Config, "tokensFile" | "tokens">): Promise<TokenTable> {
  let fileText = "";
  if (config.tokensFile !== "") {
    try {
      fileText = await readFile(config.tokensFile, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (code ?? String(err));
      throw new ConfigError(`--tokens-file ${config.tokensFile}: cannot read it (${why})`);
    }
  }
  const file = parseSource("--tokens-file", config.tokensFile, fileText);
  const inline = parseSource("--tokens", "", config.tokens);
  if (config.tokensFile !== "" && !file.enabled) {
    throw new ConfigError(`--tokens-file ${config.tokensFile}: holds no token (every route would be open)`);
  }
  if (config.tokens.trim() !== "" && !inline.enabled) {
    throw new ConfigError("--tokens (STATS_TOKENS): holds no token (every route would be open)");
  }
  // One table: parsed together so that a token listed in both places is refused as a duplicate.
  try {
    return parseTokens(`${fileText}\n${config.tokens}`);
  } catch (err) {
    if (err instanceof TokenFileError) {
      throw new ConfigError(`--tokens-file and --tokens: ${err.message.replace(/^token entry \d+: /, "")}`);
    }
    throw err;
  }
}

function parseSource(flag: string, path: string, text: string): TokenTable {
  try {
    return parseTokens(text);
  } catch (err) {
    if (err instanceof TokenFileError) throw new ConfigError(`${flag}${path ? ` ${path}` : ""}: ${err.message}`);
    throw err;
  }
}
