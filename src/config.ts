/**
 * Flags and environment, read once at start, validated and typed. Every option has a flag, an
 * environment variable and a default, all listed by `--help`. The 2013 service's flags are
 * accepted as aliases (also in Go's single-dash form, `-zmqsocket=...`).
 */
import { isName, NAME_RULE } from "./domain/names.js";
import { MAX_SHARDS, parseShard, type Shard } from "./domain/shard.js";

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
  /** Points of one series/funnelSeries window (DESIGN §7). */
  maxSeriesPoints: number;
  /** Bytes of one HTTP request body or one WebSocket message. */
  maxRequestBytes: number;
  /** Operations in one batched HTTP request. */
  maxBatch: number;
  /** Operations running at once on one graphql-ws connection. */
  maxWsOperations: number;
  /** Operations one graphql-ws connection (or SSE client address) may start per second; 0 = no limit. */
  maxOperationRate: number;
  /** Heap bytes past which new expensive work is refused; 0 = 75% of V8's heap limit. */
  maxMemoryBytes: number;
  wsInitTimeoutMs: number;
  /** Bytes that may wait unread for one subscriber connection before it is closed. */
  maxSendBufferBytes: number;
  /** How long data may wait untaken by a subscriber before its connection is closed. */
  sendStallTimeoutMs: number;
}

export class ConfigError extends Error {}

type Kind = "string" | "list" | "bool" | "int" | "duration";

interface OptionSpec {
  flag: string;
  env: string;
  kind: Kind;
  def: string;
  help: string;
  aliases?: string[];
  /** Unit of a bare number, for durations. */
  unit?: "ms" | "s";
  choices?: string[];
}

export const OPTIONS: readonly OptionSpec[] = [
  {
    flag: "zmq",
    env: "STATS_ZMQ",
    kind: "list",
    def: "tcp://127.0.0.1:6000",
    aliases: ["zmqsocket"],
    help: "ZeroMQ endpoint(s) of the event publisher; repeat or comma-separate for several",
  },
  {
    flag: "zmq-bind",
    env: "STATS_ZMQ_BIND",
    kind: "bool",
    def: "false",
    help: "bind the SUB socket to --zmq instead of connecting to a publisher that binds",
  },
  {
    flag: "topic",
    env: "STATS_TOPIC",
    kind: "list",
    def: "",
    help: "subscription prefix; repeatable; empty = every message",
  },
  {
    flag: "redis",
    env: "STATS_REDIS",
    kind: "string",
    def: "redis://localhost:6379",
    aliases: ["redishost"],
    help: "Redis URL (the old --redishost host:port is accepted too)",
  },
  {
    flag: "redis-cluster",
    env: "STATS_REDIS_CLUSTER",
    kind: "list",
    def: "",
    help: "Redis Cluster seed nodes host:port, comma-separated (instead of --redis)",
  },
  {
    flag: "key-prefix",
    env: "STATS_KEY_PREFIX",
    kind: "string",
    def: "",
    help: "prefix for every Redis key (empty = the old service's layout)",
  },
  {
    flag: "store",
    env: "STATS_STORE",
    kind: "string",
    def: "redis",
    choices: ["redis", "memory"],
    help: "redis, or memory: embedded in-process store, nothing persisted (demos)",
  },
  {
    flag: "pubsub",
    env: "STATS_PUBSUB",
    kind: "string",
    def: "",
    choices: ["", "redis", "memory"],
    help: "live-update bus: redis (several API processes) or memory; default follows --store",
  },
  {
    flag: "http",
    env: "STATS_HTTP",
    kind: "string",
    def: "localhost:8001",
    aliases: ["httphost"],
    help: "host:port for GraphQL, REST, /healthz, /readyz and /metrics",
  },
  {
    flag: "path-prefix",
    env: "STATS_PATH_PREFIX",
    kind: "string",
    def: "/api/stats",
    aliases: ["pathprefix"],
    help: "URL prefix of the legacy REST API",
  },
  {
    flag: "role",
    env: "STATS_ROLE",
    kind: "string",
    def: "all",
    choices: ["all", "ingest", "api"],
    help: "all, ingest (event bus → Redis; HTTP serves only /healthz, /readyz, /metrics) or api (HTTP only)",
  },
  {
    flag: "shard",
    env: "STATS_SHARD",
    kind: "string",
    def: "",
    help: "i/n: ingest only the accounts of shard i of n (several ingest processes, one stream)",
  },
  {
    flag: "shard-heartbeat",
    env: "STATS_SHARD_HEARTBEAT",
    kind: "duration",
    def: "1s",
    unit: "ms",
    help: "how often an ingest process renews its shard in the Redis registry (it expires after 2 intervals)",
  },
  {
    flag: "track-events",
    env: "STATS_TRACK_EVENTS",
    kind: "list",
    def: "pageview",
    help: "event types counted as time series",
  },
  {
    flag: "funnel-events",
    env: "STATS_FUNNEL_EVENTS",
    kind: "list",
    def: "order",
    help: "event types counted per data.status",
  },
  {
    flag: "time-source",
    env: "STATS_TIME_SOURCE",
    kind: "string",
    def: "receive",
    choices: ["receive", "event"],
    help: "bucket by receive time (UTC), or by the event's time field when it parses",
  },
  {
    flag: "event-years",
    env: "STATS_EVENT_YEARS",
    kind: "string",
    def: "2000-",
    help: "with --time-source event: years an event's time may fall in, FROM-TO (TO empty = next year); others use receive time, counted",
  },
  {
    flag: "flush-interval",
    env: "STATS_FLUSH_INTERVAL",
    kind: "duration",
    def: "100ms",
    unit: "ms",
    help: "how often coalesced increments are written",
  },
  {
    flag: "flush-eager",
    env: "STATS_FLUSH_EAGER",
    kind: "bool",
    def: "false",
    help: "write an event as soon as no flush is in flight (no interval to wait out under light load); events arriving during a flush are written together right after it",
  },
  {
    flag: "max-batch",
    env: "STATS_MAX_BATCH",
    kind: "int",
    def: "20000",
    help: "flush early once this many distinct counters are pending",
  },
  {
    flag: "minute-retention",
    env: "STATS_MINUTE_RETENTION",
    kind: "duration",
    def: "30d",
    unit: "s",
    help: "how long minute keys live after their last write",
  },
  {
    flag: "heartbeat",
    env: "STATS_HEARTBEAT",
    kind: "duration",
    def: "1s",
    unit: "ms",
    help: "ZMTP heartbeat interval; a publisher that answers nothing for 3 intervals is reconnected",
  },
  {
    flag: "heartbeat-ttl",
    env: "STATS_HEARTBEAT_TTL",
    kind: "duration",
    def: "60s",
    unit: "ms",
    help: "asks the publisher to drop us (and what it queued for us) only after hearing nothing from us this long: longer than any pause of this process (100ms to 6553s)",
  },
  {
    flag: "zmq-hwm",
    env: "STATS_ZMQ_HWM",
    kind: "int",
    def: "100000",
    help: "messages read off the bus ahead of counting; past it reading pauses and the backlog waits in the publisher (which drops past its own high-water mark); 0 = no limit",
  },
  {
    flag: "shutdown-timeout",
    env: "STATS_SHUTDOWN_TIMEOUT",
    kind: "duration",
    def: "30s",
    unit: "ms",
    help: "on SIGTERM/SIGINT, how long to keep retrying the final flush",
  },
  {
    flag: "tokens-file",
    env: "STATS_TOKENS_FILE",
    kind: "string",
    def: "",
    help: "API tokens, one `<token> <account,...|*>` per line; when set, every data route needs a token",
  },
  {
    flag: "tokens",
    env: "STATS_TOKENS",
    kind: "string",
    def: "",
    help: "API tokens inline, entries separated by `;` (prefer the env var or the file: argv is visible to ps)",
  },
  {
    flag: "metrics-token",
    env: "STATS_METRICS_TOKEN",
    kind: "string",
    def: "",
    help: "bearer token required by /metrics (empty = /metrics is open)",
  },
  {
    flag: "introspection",
    env: "STATS_INTROSPECTION",
    kind: "bool",
    def: "true",
    help: "answer GraphQL introspection (GraphiQL's docs need it); false also hides field suggestions in errors",
  },
  {
    flag: "csrf-prevention",
    env: "STATS_CSRF_PREVENTION",
    kind: "bool",
    def: "false",
    help: "refuse GraphQL GETs and simple POSTs without x-graphql-yoga-csrf, apollo-require-preflight or Authorization (off: the API has no mutations and no cookies; on, a browser EventSource needs ?token=)",
  },
  {
    flag: "cors-origins",
    env: "STATS_CORS_ORIGINS",
    kind: "list",
    def: "*",
    help: "origins whose browser pages may read every route (CORS, never with credentials); * = any",
  },
  {
    flag: "max-query-depth",
    env: "STATS_MAX_QUERY_DEPTH",
    kind: "int",
    def: "6",
    help: "deepest field nesting an operation may have (a fragment spread counts as a level)",
  },
  {
    flag: "max-query-aliases",
    env: "STATS_MAX_QUERY_ALIASES",
    kind: "int",
    def: "15",
    help: "aliases in one operation",
  },
  {
    flag: "max-query-tokens",
    env: "STATS_MAX_QUERY_TOKENS",
    kind: "int",
    def: "1000",
    help: "lexical tokens in one GraphQL document (checked while parsing)",
  },
  {
    flag: "max-query-cost",
    env: "STATS_MAX_QUERY_COST",
    kind: "int",
    def: "5000",
    help: "cost of one operation (object field 2, scalar field 1, times 1.5 per level)",
  },
  {
    flag: "max-series-points",
    env: "STATS_MAX_SERIES_POINTS",
    kind: "int",
    def: "1500",
    help: "points one series or funnelSeries answer may have (more is a BAD_USER_INPUT error, never a truncated answer)",
  },
  {
    flag: "max-request-body",
    env: "STATS_MAX_REQUEST_BODY",
    kind: "int",
    def: "102400",
    help: "bytes of one GraphQL HTTP request body or WebSocket message (413, or close code 1009)",
  },
  {
    flag: "max-batch-operations",
    env: "STATS_MAX_BATCH_OPERATIONS",
    kind: "int",
    def: "10",
    help: "operations in one batched GraphQL HTTP request (a JSON array)",
  },
  {
    flag: "max-ws-operations",
    env: "STATS_MAX_WS_OPERATIONS",
    kind: "int",
    def: "100",
    help: "subscriptions (and queries) running at once on one graphql-ws connection",
  },
  {
    flag: "max-operation-rate",
    env: "STATS_MAX_OPERATION_RATE",
    kind: "int",
    def: "20",
    help: "GraphQL operations one graphql-ws connection, or one address's SSE subscriptions, may start per second after a burst of twice --max-ws-operations (more: RATE_LIMITED); 0 = no limit",
  },
  {
    flag: "max-memory",
    env: "STATS_MAX_MEMORY",
    kind: "int",
    def: "0",
    help: "bytes of JavaScript heap in use past which new expensive work (planning a window, a new live window, an uncached REST read) is refused (MEMORY_EXHAUSTED, 503); 0 = 75% of V8's heap limit",
  },
  {
    flag: "ws-init-timeout",
    env: "STATS_WS_INIT_TIMEOUT",
    kind: "duration",
    def: "3s",
    unit: "ms",
    help: "a graphql-ws connection that sends no connection_init this soon is closed (4408)",
  },
  {
    flag: "max-send-buffer",
    env: "STATS_MAX_SEND_BUFFER",
    kind: "int",
    def: "1048576",
    help: "bytes that may wait unread for one subscriber connection (WebSocket or SSE) before it is closed",
  },
  {
    flag: "send-stall-timeout",
    env: "STATS_SEND_STALL_TIMEOUT",
    kind: "duration",
    def: "30s",
    unit: "ms",
    help: "a subscriber connection whose client takes none of the data waiting for it this long is closed",
  },
  {
    flag: "log-level",
    env: "STATS_LOG_LEVEL",
    kind: "string",
    def: "info",
    choices: ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
    help: "log level (logs go to stderr as JSON)",
  },
];

export function helpText(): string {
  const lines = [
    "Usage: stats-server [reindex] [options]",
    "",
    "  (no command)  run the service: ingest the event bus, serve GraphQL, REST, health and metrics",
    "  reindex       rebuild the account/event/year index from existing keys (SCAN), then exit",
    "  simulate      publish realistic events on a ZeroMQ PUB socket (stats-server simulate --help)",
    "  replay FILE   apply NDJSON events with their own times, exactly once (stats-server replay --help)",
    "  demo          in-memory store + simulator + API + dashboard, in one process (stats-server demo --help)",
    "",
    "Options (flag, environment variable, default):",
  ];
  for (const o of OPTIONS) {
    const aliases = o.aliases?.length ? ` (alias --${o.aliases.join(", --")})` : "";
    const def = o.def === "" ? "(none)" : o.def;
    lines.push(
      `  --${o.flag}${aliases}`,
      `      ${o.help}`,
      `      env ${o.env}, default ${def}${o.choices ? `; one of ${o.choices.filter(Boolean).join(", ")}` : ""}`,
    );
  }
  lines.push("  --help      print this and exit", "");
  return lines.join("\n");
}

/** Parses argv (without node and script) and env into a Config; throws ConfigError with a one-line reason. */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Config | "help" {
  const byName = new Map<string, OptionSpec>();
  for (const o of OPTIONS) {
    byName.set(o.flag, o);
    for (const a of o.aliases ?? []) byName.set(a, o);
  }
  const given = new Map<OptionSpec, string[]>();
  const aliasUsed = new Map<OptionSpec, string>();
  let command: Config["command"] = "serve";

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h" || arg === "-help") return "help";
    if (!arg.startsWith("-")) {
      if (i === 0 && arg === "reindex") {
        command = "reindex";
        continue;
      }
      throw new ConfigError(`unexpected argument "${arg}" (see --help)`);
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = byName.get(name);
    if (!spec) throw new ConfigError(`unknown option --${name} (see --help)`);
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (spec.kind === "bool") value = "true";
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new ConfigError(`--${name} needs a value`);
      value = next;
      i++;
    }
    if (spec.kind === "list") given.set(spec, [...(given.get(spec) ?? []), value]);
    else given.set(spec, [value]);
    if (name !== spec.flag) aliasUsed.set(spec, name);
  }

  const raw = (o: OptionSpec): string[] => {
    const v = given.get(o);
    if (v) return v;
    const e = env[o.env];
    if (e !== undefined) return [e];
    return [o.def];
  };
  const fromEnvOrFlag = (o: OptionSpec) => given.has(o) || env[o.env] !== undefined;
  const get = (flag: string): OptionSpec => byName.get(flag) as OptionSpec;
  const str = (flag: string): string => {
    const o = get(flag);
    const v = (raw(o)[0] ?? "").trim();
    if (o.choices && !o.choices.includes(v)) {
      throw new ConfigError(`--${flag} must be one of ${o.choices.filter(Boolean).join(", ")}, got "${v}"`);
    }
    return v;
  };
  const list = (flag: string): string[] =>
    raw(get(flag))
      .flatMap((v) => v.split(","))
      .map((v) => v.trim())
      .filter((v) => v !== "");
  const int = (flag: string, min: number): number => {
    const v = str(flag);
    if (!/^\d+$/.test(v) || Number(v) < min) throw new ConfigError(`--${flag} must be an integer ≥ ${min}, got "${v}"`);
    return Number(v);
  };
  const duration = (flag: string): number => {
    const o = get(flag);
    const v = str(flag);
    const ms = parseDuration(v, o.unit ?? "ms");
    if (ms === undefined || ms <= 0)
      throw new ConfigError(`--${flag} must be a duration like 100ms, 5s, 30d; got "${v}"`);
    return o.unit === "s" ? Math.round(ms / 1000) : ms;
  };
  const bool = (flag: string): boolean => {
    const v = str(flag).toLowerCase();
    if (["true", "1", "yes", ""].includes(v)) return true;
    if (["false", "0", "no"].includes(v)) return false;
    throw new ConfigError(`--${flag} must be true or false, got "${v}"`);
  };
  const names = (flag: string): string[] => {
    const v = list(flag);
    for (const n of v) if (!isName(n)) throw new ConfigError(`--${flag}: "${n}" is not a name (${NAME_RULE})`);
    return v;
  };

  const zmq = list("zmq");
  if (zmq.length === 0) throw new ConfigError("--zmq needs at least one endpoint");
  for (const e of zmq) {
    if (!/^(tcp|ipc|inproc|pgm|epgm|ws|wss):\/\/\S+$/.test(e)) {
      throw new ConfigError(`--zmq endpoint "${e}" must look like tcp://host:port (or ipc://path)`);
    }
  }

  let redis = str("redis");
  if (aliasUsed.get(get("redis")) === "redishost" || (!/^rediss?:\/\//.test(redis) && /^[^/]+:\d+$/.test(redis))) {
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
  const topics = fromEnvOrFlag(get("topic")) ? raw(get("topic")) : [""];

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
      maxMemoryBytes: int("max-memory", 0),
      wsInitTimeoutMs: duration("ws-init-timeout"),
      maxSendBufferBytes: int("max-send-buffer", 1),
      sendStallTimeoutMs: duration("send-stall-timeout"),
    },
  };
  // A flag given on the command line counts as given; an environment variable only when it differs
  // from the default (a shared env file that spells out the defaults contradicts nothing).
  refuseContradictions(config, (flag) => {
    const o = get(flag);
    return given.has(o) || (env[o.env] !== undefined && (env[o.env] as string).trim() !== o.def);
  });
  return config;
}

/**
 * Flags that cannot all be meant: refused at start (exit 2) with a one-line reason, rather than
 * run in a way that silently counts nothing, counts twice, or ignores one of them.
 */
export function refuseContradictions(c: Config, given: (flag: string) => boolean): void {
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
  if (given("redis") && c.redisCluster.length > 0) {
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
