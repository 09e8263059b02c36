/**
 * `stats-server simulate`: binds a ZeroMQ PUB socket and publishes realistic events in the
 * collector's wire format (src/domain/simulation.ts) at --rate events a second on average, shaped
 * by a daily rhythm unless --rhythm=false. For demos, load tests and checking a deployment.
 */
import { Publisher } from "zeromq";
import { ConfigError } from "../config.js";
import { createSimulation, dailyShape, toMessage } from "../domain/simulation.js";
import { durationMs, parseCommandArgs, positiveNumber, progressLine } from "./args.js";

export const SIMULATE_HELP = `Usage: stats-server simulate [options]

Binds a ZeroMQ PUB socket and publishes pageview and order events as the collector would.

  --bind <endpoint>    where to bind the PUB socket (default tcp://127.0.0.1:6000, where
                       stats-server connects by default)
  --rate <n>           events per second, on average over a day (default 50)
  --rhythm <bool>      follow a daily rhythm: 0.4x the rate around 03:00 UTC, 1.6x around 15:00
                       (default true; false sends exactly --rate all day)
  --duration <d>       stop after this long, e.g. 30s, 5m (default: until Ctrl-C)
  --accounts <n>       how many accounts the traffic is spread over (default 5)
  --seed <n>           seed of the pseudo-random sequence (default 1)
`;

export interface SimulatorOptions {
  endpoint: string;
  rate: number;
  rhythm: boolean;
  accounts: number;
  durationMs?: number | undefined;
  seed?: number;
  now?: () => number;
  /** The monotonic clock (ms) the pace is kept by; default performance.now (tests move their own). */
  clock?: () => number;
}

export interface Simulator {
  readonly endpoint: string;
  readonly sent: number;
  /** The rate being aimed at right now (events/s). */
  targetRate(): number;
  /** Resolves when --duration has passed or stop() was called, once every event is handed to ZeroMQ. */
  readonly done: Promise<void>;
  stop(): void;
}

const TICK_MS = 10;

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const now = opts.now ?? Date.now;
  const sim = createSimulation({ accounts: opts.accounts, seed: opts.seed ?? 1 });
  const pub = new Publisher({ linger: 0 });
  try {
    await pub.bind(opts.endpoint);
  } catch (err) {
    pub.close();
    throw new ConfigError(`cannot bind ${opts.endpoint}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const targetRate = () => opts.rate * (opts.rhythm ? dailyShape(now()) : 1);
  const clock = opts.clock ?? (() => performance.now());
  const started = clock();
  let sent = 0;
  let owed = 0;
  let last = started;
  let stopped = false;
  let wake: (() => void) | undefined;

  const loop = async () => {
    while (!stopped) {
      const t = clock();
      if (opts.durationMs !== undefined && t - started >= opts.durationMs) break;
      owed += ((t - last) / 1000) * targetRate();
      last = t;
      // Whole events due by now; a fraction waits for the next tick, so the average is exact.
      while (owed >= 1 && !stopped) {
        await pub.send(toMessage(sim.next(now())));
        sent++;
        owed--;
      }
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, TICK_MS);
      });
    }
  };
  const done = loop().finally(() => pub.close());

  return {
    // The address actually bound (a `tcp://127.0.0.1:*` asks the OS for a free port).
    endpoint: pub.lastEndpoint ?? opts.endpoint,
    get sent() {
      return sent;
    },
    targetRate,
    done,
    stop() {
      stopped = true;
      wake?.();
    },
  };
}

export async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    {
      bind: { type: "string", default: "tcp://127.0.0.1:6000" },
      rate: { type: "string", default: "50" },
      rhythm: { type: "string", default: "true" },
      duration: { type: "string" },
      accounts: { type: "string", default: "5" },
      seed: { type: "string", default: "1" },
      help: { type: "boolean", short: "h" },
    },
    false,
  );
  if (values.help) {
    process.stdout.write(SIMULATE_HELP);
    return 0;
  }
  if (!/^(tcp|ipc):\/\/\S+$/.test(values.bind)) {
    throw new ConfigError(`--bind must look like tcp://host:port (or ipc://path), got "${values.bind}"`);
  }
  if (!["true", "false"].includes(values.rhythm)) throw new ConfigError(`--rhythm must be true or false`);
  const sim = await startSimulator({
    endpoint: values.bind,
    rate: positiveNumber("rate", values.rate),
    rhythm: values.rhythm === "true",
    accounts: positiveNumber("accounts", values.accounts, { integer: true }),
    seed: positiveNumber("seed", values.seed, { integer: true }),
    durationMs: values.duration === undefined ? undefined : durationMs("duration", values.duration),
  });
  const progress = progressLine();
  const t0 = performance.now();
  const rateSoFar = () => sim.sent / Math.max((performance.now() - t0) / 1000, 0.001);
  process.stderr.write(
    `simulate: publishing on ${sim.endpoint}, ${sim.targetRate().toFixed(1)} events/s now${values.duration ? ` for ${values.duration}` : " (Ctrl-C to stop)"}\n`,
  );
  const timer = setInterval(() => {
    const secs = Math.floor((performance.now() - t0) / 1000);
    progress.show(
      `simulate: ${sim.sent.toLocaleString("en")} sent · ${rateSoFar().toFixed(1)}/s (target ${sim.targetRate().toFixed(1)}/s) · ${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`,
    );
  }, 500);
  const onSignal = () => sim.stop();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  await sim.done;
  clearInterval(timer);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  progress.done();
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(
    `${JSON.stringify({ sent: sim.sent, seconds: Math.round(seconds * 10) / 10, rate: Math.round(rateSoFar() * 10) / 10, endpoint: sim.endpoint })}\n`,
  );
  return 0;
}
