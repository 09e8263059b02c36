/**
 * The parser: argv and environment, read once at start against the option tables
 * (src/options.ts), validated and typed. One parser for every command: each option has a flag,
 * an environment variable and a default, all listed by `--help`. The 2013 service's flags are
 * accepted as aliases (also in Go's single-dash form, `-zmqsocket=...`).
 */
import { readFileSync } from "node:fs";
import { isName, NAME_RULE } from "./domain/names.js";
import { MAX_SHARDS, parseShard, type Shard } from "./domain/shard.js";
import { COMMANDS, type CommandSpec, OPTIONS, type OptionSpec } from "./options.js";

export { OPTIONS } from "./options.js";

export interface Config {
  command: "serve" | "reindex";
  zmq: string[];
  zmqBind: boolean;
  topics: string[];
  redis: string;
  redisCluster: string[];
  keyPrefix: string;
  store: "redis" | "memory";
  pubsub: "redis" | "memory";
  http: { host: string; port: number };
  pathPrefix: string;
  role: "all" | "ingest" | "api";
  shard: Shard | undefined;
  /** How often an ingest process renews its shard registration; every process reads twice as often. */
  shardHeartbeatMs: number;
  trackEvents: string[];
  funnelEvents: string[];
  timeSource: "receive" | "event";
  /** Years an event's own time may fall in; max undefined = the year after the current one. */
  eventYears: { min: number; max: number | undefined };
  flushIntervalMs: number;
  /** Flush as soon as the previous flush is done, instead of waiting for the interval. */
  flushEager: boolean;
  maxBatch: number;
  minuteRetentionSeconds: number;
  heartbeatMs: number;
  /** How long a publisher keeps us (and its queue for us) while it hears nothing from us. */
  heartbeatTtlMs: number;
  zmqHighWaterMark: number;
  shutdownTimeoutMs: number;
  logLevel: string;
  /** Path of the API tokens file ("" = none). */
  tokensFile: string;
  /** Inline token entries (STATS_TOKENS), same format as the file, `;` between entries. */
  tokens: string;
  /** Bearer token that /metrics requires ("" = open). */
  metricsToken: string;
  /** Origins that may read every route cross-origin: ["*"] (any) or a list. */
  corsOrigins: string[];
  /** Heap bytes past which new expensive work (GraphQL and REST) is refused; 0 = 75% of V8's heap limit. */
  maxMemoryBytes: number;
  /** GraphQL limits, the same on HTTP (queries, SSE) and WebSocket. */
  graphql: GraphqlLimits;
}

export interface GraphqlLimits {
  introspection: boolean;
  /** CSRF prevention (off by default): GET and simple POSTs need a preflight-forcing header (or a token). */
  csrfPrevention: boolean;
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
  /** Points of one series/funnelSeries window (docs/contract.md §7). */
  maxSeriesPoints: number;
  /** Bytes of one HTTP request body or one WebSocket message. */
  maxRequestBytes: number;
  /** Operations in one batched HTTP request. */
  maxBatch: number;
  /** Operations running at once on one graphql-ws connection. */
  maxWsOperations: number;
  /** Operations one graphql-ws connection (or SSE client address) may start per second; 0 = no limit. */
  maxOperationRate: number;
  wsInitTimeoutMs: number;
  /** Bytes that may wait unread for one subscriber connection before it is closed. */
  maxSendBufferBytes: number;
  /** How long data may wait untaken by a subscriber before its connection is closed. */
  sendStallTimeoutMs: number;
}

export class ConfigError extends Error {}

/** `stats-server --help`, or `stats-server <command> --help`: generated from the option tables. */
export function helpText(command: CommandSpec = COMMANDS[0] as CommandSpec): string {
  const lines: string[] = [];
  if (command.name === "serve") {
    lines.push("Usage: stats-server [command] [options]", "");
    for (const c of COMMANDS) {
      const name = c.name === "serve" ? "" : `${c.name}${c.operand ? ` ${c.operand}` : ""}`;
      lines.push(`  ${name.padEnd(14)}${c.summary}`);
    }
    lines.push("", "  stats-server <command> --help   the command's own options", "");
  } else {
    lines.push(`Usage: stats-server ${command.name}${command.operand ? ` ${command.operand}` : ""} [options]`, "");
    lines.push(command.about, "");
  }
  lines.push("Options (flag, environment variable, default); an empty variable counts as unset:");
  for (const o of command.options) {
    const aliases = o.aliases?.length ? ` (alias --${o.aliases.join(", --")})` : "";
    const def = o.def === "" ? "(none)" : o.def;
    lines.push(
      `  --${o.flag}${aliases}`,
      `      ${o.help}`,
      `      env ${o.env}, default ${def}${o.choices ? `; one of ${o.choices.filter(Boolean).join(", ")}` : ""}`,
    );
  }
  if (command.serviceOptions) lines.push("  ...and every option of the service (stats-server --help)");
  lines.push(
    "  --help      print this and exit",
    "  --version   print the version and exit",
    "",
    "Flags take --flag value, --flag=value or Go's -flag=value; lists repeat or take commas.",
    "",
  );
  return lines.join("\n");
}

/** The package's version (package.json, one directory above src/ and dist/ alike). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export interface CommandLine {
  command: CommandSpec;
  flags: Flags;
}

/**
 * Parses argv (without node and script) and env for any command: the first word picks the
 * command when it names one (none = serve); flags come as --flag value, --flag=value or Go's
 * -flag=value, else from the environment (an empty variable counts as unset), else the default.
 * Throws ConfigError with a one-line reason.
 */
export function parseCommandLine(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = {},
): CommandLine | { help: CommandSpec } | "version" {
  const named = COMMANDS.find((c) => c.name !== "serve" && c.name === argv[0]);
  const command = named ?? (COMMANDS[0] as CommandSpec);
  const args = named ? argv.slice(1) : argv;
  const specs = command.serviceOptions ? [...command.options, ...OPTIONS] : command.options;
  const byName = new Map<string, OptionSpec>();
  for (const o of specs) {
    for (const n of [o.flag, ...(o.aliases ?? [])]) if (!byName.has(n)) byName.set(n, o);
  }
  const given = new Map<OptionSpec, string[]>();
  const aliasUsed = new Map<OptionSpec, string>();
  const operands: string[] = [];

  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--help" || arg === "-h" || arg === "-help") return { help: command };
    if (arg === "--version" || arg === "-version") return "version";
    if (!arg.startsWith("-") || arg === "-") {
      if (command.operand && operands.length === 0) {
        operands.push(arg);
        continue;
      }
      throw new ConfigError(`unexpected argument "${arg}" (see ${usageOf(command)} --help)`);
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = byName.get(name);
    if (!spec) throw new ConfigError(`unknown option --${name} (see ${usageOf(command)} --help)`);
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (spec.kind === "bool") {
      // `--flag` alone is true; `--flag false` (a separate true/false) is taken as its value too.
      const next = args[i + 1];
      value = next === "true" || next === "false" ? next : "true";
      if (value === next) i++;
    } else {
      const next = args[i + 1];
      if (next === undefined) throw new ConfigError(`--${name} needs a value`);
      value = next;
      i++;
    }
    if (spec.kind === "list") given.set(spec, [...(given.get(spec) ?? []), value]);
    else given.set(spec, [value]);
    if (name !== spec.flag) aliasUsed.set(spec, name);
  }
  if (command.operand && operands.length === 0) {
    throw new ConfigError(`${command.name} needs ${command.operand} as its argument (see ${usageOf(command)} --help)`);
  }
  return { command, flags: new Flags(byName, given, aliasUsed, env, operands[0]) };
}

const usageOf = (c: CommandSpec) => (c.name === "serve" ? "stats-server" : `stats-server ${c.name}`);

/** A command's options as given: typed, validated reads by flag name (ConfigError names the flag). */
export class Flags {
  constructor(
    private readonly byName: ReadonlyMap<string, OptionSpec>,
    private readonly given: ReadonlyMap<OptionSpec, string[]>,
    private readonly aliasUsed: ReadonlyMap<OptionSpec, string>,
    private readonly env: NodeJS.ProcessEnv,
    /** The positional argument (replay's FILE), when the command takes one. */
    readonly operand: string | undefined,
  ) {}

  private spec(flag: string): OptionSpec {
    const o = this.byName.get(flag);
    if (!o) throw new Error(`no option --${flag} for this command`);
    return o;
  }

  /** The variable's value; an empty one counts as unset (as `docker run -e X=` means). */
  private fromEnv(o: OptionSpec): string | undefined {
    const v = this.env[o.env];
    return v === undefined || v.trim() === "" ? undefined : v;
  }

  /** Given on the command line or in the environment (not the default). */
  has(flag: string): boolean {
    const o = this.spec(flag);
    return this.given.has(o) || this.fromEnv(o) !== undefined;
  }

  /**
   * Chosen by the user: given on the command line, or in the environment with a value other than
   * the default (a shared env file that spells out the defaults chooses nothing).
   */
  chosen(flag: string): boolean {
    const o = this.spec(flag);
    const e = this.fromEnv(o);
    return this.given.has(o) || (e !== undefined && e.trim() !== o.def);
  }

  /** The alias the command line used for it, if any. */
  alias(flag: string): string | undefined {
    return this.aliasUsed.get(this.spec(flag));
  }

  private raw(flag: string): string[] {
    const o = this.spec(flag);
    const e = this.fromEnv(o);
    return this.given.get(o) ?? (e === undefined ? [o.def] : [e]);
  }

  str(flag: string): string {
    const o = this.spec(flag);
    const v = (this.raw(flag)[0] ?? "").trim();
    if (o.choices && !o.choices.includes(v)) {
      throw new ConfigError(`--${flag} must be one of ${o.choices.filter(Boolean).join(", ")}, got "${v}"`);
    }
    return v;
  }

  /** Every value, repeated or comma-separated, trimmed, empty ones dropped. */
  list(flag: string): string[] {
    return this.raw(flag)
      .flatMap((v) => v.split(","))
      .map((v) => v.trim())
      .filter((v) => v !== "");
  }

  int(flag: string, min: number): number {
    const v = this.str(flag);
    if (!/^\d+$/.test(v) || Number(v) < min) throw new ConfigError(`--${flag} must be an integer ≥ ${min}, got "${v}"`);
    return Number(v);
  }

  /** A positive number (fractions allowed). */
  number(flag: string): number {
    const v = this.str(flag);
    const n = Number(v);
    if (v === "" || !Number.isFinite(n) || n <= 0)
      throw new ConfigError(`--${flag} must be a positive number, got "${v}"`);
    return n;
  }

  /** In the option's unit (ms or s); undefined only for an option whose default is none. */
  optionalDuration(flag: string): number | undefined {
    const o = this.spec(flag);
    const v = this.str(flag);
    if (v === "" && o.def === "") return undefined;
    const ms = parseDuration(v, o.unit ?? "ms");
    if (ms === undefined || ms <= 0)
      throw new ConfigError(`--${flag} must be a duration like 100ms, 5s, 30d; got "${v}"`);
    return o.unit === "s" ? Math.round(ms / 1000) : ms;
  }

  duration(flag: string): number {
    const v = this.optionalDuration(flag);
    if (v === undefined) throw new ConfigError(`--${flag} needs a duration`);
    return v;
  }

  bool(flag: string): boolean {
    const v = this.str(flag).toLowerCase();
    if (["true", "1", "yes"].includes(v)) return true;
    if (["false", "0", "no"].includes(v)) return false;
    throw new ConfigError(`--${flag} must be true or false, got "${v}"`);
  }

  /** A list of names (accounts, event types): each checked against the naming rule. */
  names(flag: string): string[] {
    const v = this.list(flag);
    for (const n of v) if (!isName(n)) throw new ConfigError(`--${flag}: "${n}" is not a name (${NAME_RULE})`);
    return v;
  }
}

/** Parses argv (without node and script) and env into the service's Config; throws ConfigError with a one-line reason. */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Config | "help" {
  const line = parseCommandLine(argv, env);
  if (line === "version" || "help" in line) return "help";
  if (line.command.name !== "serve" && line.command.name !== "reindex") {
    throw new ConfigError(`unexpected argument "${line.command.name}" (see stats-server --help)`);
  }
  return configFrom(line.flags, line.command.name);
}

/** The service's Config from parsed flags (serve, reindex, and the commands that read the service's options). */
export function configFrom(flags: Flags, command: Config["command"] = "serve"): Config {
  const str = (flag: string) => flags.str(flag);
  const list = (flag: string) => flags.list(flag);
  const int = (flag: string, min: number) => flags.int(flag, min);
  const duration = (flag: string) => flags.duration(flag);
  const bool = (flag: string) => flags.bool(flag);
  const names = (flag: string) => flags.names(flag);

  const zmq = list("zmq");
  if (zmq.length === 0) throw new ConfigError("--zmq needs at least one endpoint");
  for (const e of zmq) {
    if (!/^(tcp|ipc|inproc|pgm|epgm|ws|wss):\/\/\S+$/.test(e)) {
      throw new ConfigError(`--zmq endpoint "${e}" must look like tcp://host:port (or ipc://path)`);
    }
  }

  let redis = str("redis");
  if (flags.alias("redis") === "redishost" || (!/^rediss?:\/\//.test(redis) && /^[^/]+:\d+$/.test(redis))) {
    redis = `redis://${redis}`;
  }
  if (!/^rediss?:\/\/[^\s]+$/.test(redis)) throw new ConfigError(`--redis must be a redis:// URL, got "${redis}"`);

  const redisCluster = list("redis-cluster");
  for (const n of redisCluster) {
    if (!/^[^\s:]+:\d+$/.test(n)) throw new ConfigError(`--redis-cluster node "${n}" must be host:port`);
  }

  const http = parseHostPort(str("http"));
  if (!http) throw new ConfigError(`--http must be host:port (or :port), got "${str("http")}"`);

  let pathPrefix = str("path-prefix");
  if (!pathPrefix.startsWith("/")) pathPrefix = `/${pathPrefix}`;
  pathPrefix = pathPrefix.replace(/\/+$/, "");
  if (pathPrefix === "" || /[\s?#]/.test(pathPrefix)) {
    throw new ConfigError(`--path-prefix must be a URL path like /api/stats, got "${str("path-prefix")}"`);
  }

  const shardText = str("shard");
  const shard = shardText === "" ? undefined : parseShard(shardText);
  if (shardText !== "" && !shard) {
    throw new ConfigError(`--shard must be i/n with 0 ≤ i < n ≤ ${MAX_SHARDS}, got "${shardText}"`);
  }

  const corsOrigins = list("cors-origins");
  const corsError = corsOriginError(corsOrigins);
  if (corsError) throw new ConfigError(`--cors-origins ${corsError}`);

  const store = str("store") as Config["store"];
  const pubsubText = str("pubsub");
  const topics = list("topic");

  const config: Config = {
    command,
    zmq,
    zmqBind: bool("zmq-bind"),
    topics: topics.length === 0 ? [""] : topics,
    redis,
    redisCluster,
    keyPrefix: str("key-prefix"),
    store,
    pubsub: (pubsubText === "" ? store : pubsubText) as Config["pubsub"],
    http,
    pathPrefix,
    role: str("role") as Config["role"],
    shard,
    shardHeartbeatMs: duration("shard-heartbeat"),
    trackEvents: names("track-events"),
    funnelEvents: names("funnel-events"),
    timeSource: str("time-source") as Config["timeSource"],
    eventYears: parseYears(str("event-years")),
    flushIntervalMs: duration("flush-interval"),
    flushEager: bool("flush-eager"),
    maxBatch: int("max-batch", 1),
    minuteRetentionSeconds: duration("minute-retention"),
    heartbeatMs: duration("heartbeat"),
    heartbeatTtlMs: heartbeatTtl(duration("heartbeat-ttl")),
    zmqHighWaterMark: int("zmq-hwm", 0),
    shutdownTimeoutMs: duration("shutdown-timeout"),
    logLevel: str("log-level"),
    tokensFile: str("tokens-file"),
    tokens: str("tokens"),
    metricsToken: str("metrics-token"),
    corsOrigins,
    maxMemoryBytes: int("max-memory", 0),
    graphql: {
      introspection: bool("introspection"),
      csrfPrevention: bool("csrf-prevention"),
      maxDepth: int("max-query-depth", 1),
      maxAliases: int("max-query-aliases", 0),
      maxTokens: int("max-query-tokens", 1),
      maxCost: int("max-query-cost", 1),
      maxSeriesPoints: int("max-series-points", 1),
      maxRequestBytes: int("max-request-body", 1),
      maxBatch: int("max-batch-operations", 1),
      maxWsOperations: int("max-ws-operations", 1),
      maxOperationRate: int("max-operation-rate", 0),
      wsInitTimeoutMs: duration("ws-init-timeout"),
      maxSendBufferBytes: int("max-send-buffer", 1),
      sendStallTimeoutMs: duration("send-stall-timeout"),
    },
  };
  refuseContradictions(config, (flag) => flags.chosen(flag));
  return config;
}

/**
 * Flags that cannot all be meant: refused at start (exit 2) with a one-line reason, rather than
 * run in a way that silently counts nothing, counts twice, or ignores one of them.
 */
export function refuseContradictions(c: Config, chosen: (flag: string) => boolean): void {
  const refuse = (reason: string) => {
    throw new ConfigError(reason);
  };
  if (c.store === "memory" && c.role === "ingest") {
    refuse("--store memory with --role ingest: the counts would go into this process's memory, which nothing reads");
  }
  if (c.store === "memory" && c.role === "api") {
    refuse("--store memory with --role api: this process's own memory store is empty and nothing ingests into it");
  }
  if (c.store === "memory" && c.shard) {
    refuse("--shard with --store memory: each process would count its shard into its own memory; shards need Redis");
  }
  if (c.role === "api" && c.shard) {
    refuse("--shard with --role api: an API process ingests nothing; give --shard to the ingest processes");
  }
  if (chosen("redis") && c.redisCluster.length > 0) {
    refuse("--redis and --redis-cluster both given: pick one (a Redis URL, or the cluster's seed nodes)");
  }
}

/** libzmq sends the TTL in deciseconds in 16 bits: 100 ms .. 6,553.5 s. */
function heartbeatTtl(ms: number): number {
  if (ms < 100 || ms > 6_553_500) {
    throw new ConfigError(`--heartbeat-ttl must be between 100ms and 6553s, got ${ms} ms`);
  }
  return ms;
}

function parseYears(text: string): Config["eventYears"] {
  const m = /^(\d{4})-(\d{4})?$/.exec(text.trim());
  const min = Number(m?.[1]);
  const max = m?.[2] === undefined ? undefined : Number(m[2]);
  if (!m || min < 1970 || (max !== undefined && max < min)) {
    throw new ConfigError(`--event-years must be FROM-TO or FROM- (years, 1970 or later, FROM ≤ TO), got "${text}"`);
  }
  return { min, max };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string, bareUnit: "ms" | "s"): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * (UNITS[m[2] ?? bareUnit] as number);
}

function parseHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:\s]*)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65_535) return undefined;
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^\s/?#]+$/i;

/** Checks `--cors-origins` values; returns a reason when one is not `*` or an origin. */
export function corsOriginError(origins: readonly string[]): string | undefined {
  if (origins.length === 0) return "needs at least one origin, or *";
  if (origins.includes("*")) return origins.length === 1 ? undefined : "* cannot be combined with other origins";
  const bad = origins.find((o) => !ORIGIN.test(o));
  return bad === undefined ? undefined : `"${bad}" is not an origin like https://dash.example.com[:port]`;
}
