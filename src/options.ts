/**
 * The option table: every flag of every command, with its environment variable, its default and
 * its help line. The parser (src/config.ts) reads argv and the environment against these tables;
 * `--help` and the flags table in docs/flags.md are generated from them. A new flag is one entry
 * here (and, for the service, a line in parseConfig's result).
 */

/** list: repeatable and comma-separated; number: a positive number; the others as named. */
export type Kind = "string" | "list" | "bool" | "int" | "number" | "duration";

export interface OptionSpec {
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

/** The service's options: `stats-server` (serve) and `reindex` take them all, `replay` too. */
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
    help: "subscription prefix(es), repeated or comma-separated; none = every message",
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

/** A service option as another command takes it: same flag and variable, its own default or help. */
function serviceOption(flag: string, change: Partial<OptionSpec> = {}): OptionSpec {
  const o = OPTIONS.find((x) => x.flag === flag);
  if (!o) throw new Error(`no service option --${flag}`);
  return { ...o, ...change };
}

export const SIMULATE_OPTIONS: readonly OptionSpec[] = [
  {
    flag: "bind",
    env: "STATS_SIMULATE_BIND",
    kind: "string",
    def: "tcp://127.0.0.1:6000",
    help: "where to bind the PUB socket (where stats-server connects by default)",
  },
  {
    flag: "rate",
    env: "STATS_SIMULATE_RATE",
    kind: "number",
    def: "50",
    help: "events per second, on average over a day",
  },
  {
    flag: "rhythm",
    env: "STATS_SIMULATE_RHYTHM",
    kind: "bool",
    def: "true",
    help: "follow a daily rhythm: 0.4x the rate around 03:00 UTC, 1.6x around 15:00 (false: exactly --rate all day)",
  },
  {
    flag: "duration",
    env: "STATS_SIMULATE_DURATION",
    kind: "duration",
    def: "",
    unit: "ms",
    help: "stop after this long, e.g. 30s, 5m (none: until Ctrl-C)",
  },
  {
    flag: "accounts",
    env: "STATS_SIMULATE_ACCOUNTS",
    kind: "int",
    def: "5",
    help: "how many accounts the traffic is spread over",
  },
  { flag: "seed", env: "STATS_SIMULATE_SEED", kind: "int", def: "1", help: "seed of the pseudo-random sequence" },
  {
    flag: "wait-for-subscriber",
    env: "STATS_SIMULATE_WAIT_FOR_SUBSCRIBER",
    kind: "bool",
    def: "true",
    help: "send nothing until a subscriber has subscribed (false: start at once; a PUB socket drops what nobody takes)",
  },
];

/** replay's own options; it takes the service's too (--redis, --key-prefix, --track-events, ...). */
export const REPLAY_OPTIONS: readonly OptionSpec[] = [
  {
    flag: "chunk-lines",
    env: "STATS_REPLAY_CHUNK_LINES",
    kind: "int",
    def: "5000",
    help: "lines per chunk, the unit applied at once and skipped on a re-run",
  },
  {
    flag: "run",
    env: "STATS_REPLAY_RUN",
    kind: "string",
    def: "",
    help: "a name for this application: the same data replayed under another name is applied again (none: identical data is applied once)",
  },
  {
    flag: "guard-ttl",
    env: "STATS_REPLAY_GUARD_TTL",
    kind: "duration",
    def: "90d",
    unit: "s",
    help: "how long Redis remembers an applied chunk; a re-run after that applies it again",
  },
  {
    flag: "dry-run",
    env: "STATS_REPLAY_DRY_RUN",
    kind: "bool",
    def: "false",
    help: "read and check every line, write nothing",
  },
  {
    flag: "timeout",
    env: "STATS_REPLAY_TIMEOUT",
    kind: "duration",
    def: "30s",
    unit: "ms",
    help: "how long to keep retrying an unreachable Redis before giving up",
  },
];

export const DEMO_OPTIONS: readonly OptionSpec[] = [
  serviceOption("http", { help: "where to serve the demo (`npm run demo -- --http localhost:8011`)" }),
  {
    flag: "rate",
    env: "STATS_DEMO_RATE",
    kind: "number",
    def: "20",
    help: "simulated events per second, on average over a day",
  },
  { flag: "accounts", env: "STATS_DEMO_ACCOUNTS", kind: "int", def: "5", help: "simulated accounts" },
  {
    flag: "history",
    env: "STATS_DEMO_HISTORY",
    kind: "bool",
    def: "true",
    help: "fill the month so far with simulated counts first",
  },
  serviceOption("log-level", { def: "warn" }),
];

export type CommandName = "serve" | "reindex" | "simulate" | "replay" | "demo";

export interface CommandSpec {
  name: CommandName;
  /** The positional argument it takes, as its usage line shows it (none when absent). */
  operand?: string;
  /** One line for the command list of `stats-server --help`. */
  summary: string;
  /** What `stats-server <command> --help` says before the options. */
  about: string;
  /** Its own options, listed by its --help. */
  options: readonly OptionSpec[];
  /** Also reads every service option (OPTIONS), as `stats-server --help` lists them. */
  serviceOptions?: true;
}

/**
 * Every command, in the order `--help` lists them: the one registry. src/main.ts maps each name
 * to its module (loaded only when chosen); src/config.ts parses its options.
 */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "serve",
    summary: "(no command) run the service: ingest the event bus, serve GraphQL, REST, health and metrics",
    about:
      "Runs the service: ingests the event bus into the store, serves GraphQL, REST, /healthz, /readyz and /metrics.",
    options: OPTIONS,
  },
  {
    name: "reindex",
    summary: "rebuild the account/event/year index from existing keys (SCAN), then exit",
    about:
      "Rebuilds the listing index from the counter keys already in Redis (SCAN, never KEYS), prints what it did as one JSON line, and exits.",
    options: OPTIONS,
  },
  {
    name: "simulate",
    summary: "publish realistic events on a ZeroMQ PUB socket",
    about:
      "Binds a ZeroMQ PUB socket and publishes pageview and order events as the collector would, once a subscriber is there.",
    options: SIMULATE_OPTIONS,
  },
  {
    name: "replay",
    operand: "FILE|-",
    summary: "apply NDJSON events with their own times, exactly once",
    about: `Applies newline-delimited JSON events, e.g.
  {"type":"pageview","time":"2013-09-05T16:07:00Z","data":{"account":"acme","unq":"1"}}
to Redis in the buckets of their own "time" (ISO 8601, unix seconds or ms, or Ruby's form), exactly
once: lines go in chunks whose ids come from their content, and a chunk already applied is skipped,
so a replay that was cut off can simply be run again. Rejected lines are printed to stderr as
"line N: reason". A summary (JSON) goes to stdout: "applied" counts the events of the chunks THIS
run completed, so the summaries of two runs that overlap add up to what was applied once.

A line longer than 64 KiB is rejected as too_large without being read into memory; a UTF-8 byte
order mark at the start of the file is skipped. Event times outside --event-years (as in live
ingest; default 2000 to next year) are rejected as bad_time.

Exit status: 0 every line applied; 3 finished, some lines rejected; 1 stopped (Redis failed:
run it again); 2 bad usage.

Besides its own options it reads the service's (stats-server --help): the store and counting
ones matter here (--redis, --redis-cluster, --key-prefix, --track-events, --funnel-events,
--event-years, --minute-retention, --log-level).`,
    options: REPLAY_OPTIONS,
    serviceOptions: true,
  },
  {
    name: "demo",
    summary: "in-memory store + simulator + API + dashboard, in one process (npm run demo)",
    about: `Runs the service with the in-memory store (nothing is persisted) and a built-in simulator, fills
this month with simulated history, and prints the URLs of the dashboard, GraphiQL and the REST API.`,
    options: DEMO_OPTIONS,
  },
];
