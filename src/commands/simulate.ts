/**
 * `stats-server simulate`: binds a ZeroMQ PUB socket and publishes realistic events in the
 * collector's wire format (src/domain/simulation.ts) at --rate events a second on average, shaped
 * by a daily rhythm unless --rhythm=false. For demos, load tests and checking a deployment.
 *
 * A PUB socket drops what no subscriber takes, so by default nothing is sent until the first
 * subscription arrives: the socket is an XPUB (a PUB that also receives its subscribers'
 * subscribe messages), and sending starts at the first one.
 */
import { XPublisher } from "zeromq";
import { ConfigError, type Flags } from "../config.js";
import { createSimulation, dailyShape, toMessage } from "../domain/simulation.js";
import { progressLine } from "./progress.js";

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
  /** Send nothing until a subscriber has subscribed (the rate and --duration count from then). */
  waitForSubscriber?: boolean;
}

export interface Simulator {
  readonly endpoint: string;
  readonly sent: number;
  /** Resolves when sending starts: at once, or (waitForSubscriber) at the first subscription. */
  readonly sending: Promise<void>;
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
  const pub = new XPublisher({ linger: 0 });
  try {
    await pub.bind(opts.endpoint);
  } catch (err) {
    pub.close();
    throw new ConfigError(`cannot bind ${opts.endpoint}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const targetRate = () => opts.rate * (opts.rhythm ? dailyShape(now()) : 1);
  const clock = opts.clock ?? (() => performance.now());
  let sent = 0;
  let owed = 0;
  let stopped = false;
  let wake: (() => void) | undefined;
  let endWait: () => void = () => {};
  const stopping = new Promise<void>((r) => {
    endWait = r;
  });
  // An XPUB hands each new subscription to the application as a message: 0x01 and the prefix.
  const subscribed = (async () => {
    for await (const [frame] of pub) if (frame?.[0] === 1) return;
  })().catch(() => {});
  const sending = opts.waitForSubscriber ? Promise.race([subscribed, stopping]) : Promise.resolve();

  const loop = async () => {
    await sending;
    const started = clock();
    let last = started;
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
  const done = loop().finally(() => {
    // What was sent before --duration ran out still goes out (up to a second); after a Ctrl-C, nothing waits.
    if (!stopped) pub.linger = 1_000;
    pub.close();
  });

  return {
    // The address actually bound (a `tcp://127.0.0.1:*` asks the OS for a free port).
    endpoint: pub.lastEndpoint ?? opts.endpoint,
    get sent() {
      return sent;
    },
    sending,
    targetRate,
    done,
    stop() {
      stopped = true;
      endWait();
      wake?.();
    },
  };
}

export async function run(flags: Flags): Promise<number> {
  const bind = flags.str("bind");
  if (!/^(tcp|ipc):\/\/\S+$/.test(bind)) {
    throw new ConfigError(`--bind must look like tcp://host:port (or ipc://path), got "${bind}"`);
  }
  const duration = flags.optionalDuration("duration");
  const waitForSubscriber = flags.bool("wait-for-subscriber");
  const sim = await startSimulator({
    endpoint: bind,
    rate: flags.number("rate"),
    rhythm: flags.bool("rhythm"),
    accounts: flags.int("accounts", 1),
    seed: flags.int("seed", 1),
    durationMs: duration,
    waitForSubscriber,
  });
  const onSignal = () => sim.stop();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  if (waitForSubscriber) {
    process.stderr.write(
      `simulate: bound ${sim.endpoint}; waiting for a subscriber before sending (--wait-for-subscriber=false sends at once)\n`,
    );
    await sim.sending;
  }
  const progress = progressLine();
  const t0 = performance.now();
  const rateSoFar = () => sim.sent / Math.max((performance.now() - t0) / 1000, 0.001);
  process.stderr.write(
    `simulate: ${waitForSubscriber ? "a subscriber is there; " : ""}publishing on ${sim.endpoint}, ${sim.targetRate().toFixed(1)} events/s now${duration !== undefined ? ` for ${flags.str("duration")}` : " (Ctrl-C to stop)"}\n`,
  );
  const timer = setInterval(() => {
    const secs = Math.floor((performance.now() - t0) / 1000);
    progress.show(
      `simulate: ${sim.sent.toLocaleString("en")} sent · ${rateSoFar().toFixed(1)}/s (target ${sim.targetRate().toFixed(1)}/s) · ${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`,
    );
  }, 500);
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
