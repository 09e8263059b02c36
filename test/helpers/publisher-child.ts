/**
 * Drives test/helpers/publisher-process.ts: a publisher in its own OS process that a test can
 * SIGKILL, SIGSTOP/SIGCONT and restart on the same endpoint.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { freePort } from "./ports.js";

const SCRIPT = fileURLToPath(new URL("./publisher-process.ts", import.meta.url));

/** A send high-water mark no test stream reaches: the publisher itself never drops. */
export const EXACT_HWM = 1_000_000;

export interface StreamResult {
  sent: number;
  firstSeq: number;
  byAccount: Record<string, number>;
  /** True when the process died mid-stream: `sent` is then its last progress report. */
  interrupted: boolean;
}

export interface ChildPublisher {
  endpoint: string;
  proc: ChildProcess;
  /** Epoch ms at which the XPUB was bound. */
  boundAt: number;
  /** Epoch ms of every subscription the XPUB has seen. */
  readonly subscriptions: readonly number[];
  /** Events sent by the current (or last) stream, from its latest progress report. */
  readonly progress: number;
  /** Resolves with the epoch ms of the first subscription seen after `since` (epoch ms). */
  subscribedAfter(since: number, withinMs?: number): Promise<number>;
  /** Starts a stream; resolves when it has sent `count` events, was stopped, or the process died. */
  stream(opts: { accounts: string[]; rate: number; count?: number }): Promise<StreamResult>;
  /** Ends the current stream (its stream() promise resolves). */
  stop(): void;
  signal(sig: NodeJS.Signals): void;
  /** SIGKILLs the process (if still running) and waits for it to exit. */
  kill(): Promise<void>;
}

/**
 * Starts a publisher process bound on `endpoint` (default: a free port). `sendHighWaterMark` is
 * libzmq's default, 1000 messages, unless given: past it a PUB drops, and a publisher starved of
 * CPU on a busy machine can reach it in a burst, so tests that count exactly pass `EXACT_HWM`.
 */
export async function spawnChildPublisher(
  endpoint?: string,
  opts: { sendHighWaterMark?: number } = {},
): Promise<ChildPublisher> {
  const ep = endpoint ?? `tcp://127.0.0.1:${await freePort()}`;
  const args = [SCRIPT, ep, String(opts.sendHighWaterMark ?? 1000)];
  const proc = spawn(process.execPath, ["--import", "tsx", ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  proc.stdin?.on("error", () => {}); // EPIPE once the process is killed
  proc.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const subscriptions: number[] = [];
  const listeners = new Set<() => void>();
  const doneWaiters: Array<(r: StreamResult) => void> = [];
  let progress = 0;
  let boundAt = 0;
  let failed: Error | undefined;
  void exited.then(() => {
    failed = new Error(`publisher process exited; stderr: ${stderr}`);
    for (const w of doneWaiters.splice(0))
      w({ sent: progress, firstSeq: Number.NaN, byAccount: {}, interrupted: true });
    for (const l of listeners) l();
  });
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    const msg = JSON.parse(line) as { ev: string; at?: number; sent?: number } & Partial<StreamResult>;
    if (msg.ev === "bound") boundAt = msg.at as number;
    else if (msg.ev === "subscribed") subscriptions.push(msg.at as number);
    else if (msg.ev === "progress") progress = msg.sent as number;
    else if (msg.ev === "done") {
      progress = msg.sent as number;
      doneWaiters.shift()?.({
        sent: msg.sent as number,
        firstSeq: msg.firstSeq as number,
        byAccount: msg.byAccount ?? {},
        interrupted: false,
      });
    }
    for (const l of listeners) l();
  });
  const until = <T>(probe: () => T | undefined, what: string, withinMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v !== undefined) return finish(() => resolve(v));
        if (failed) return finish(() => reject(failed));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`publisher: timed out waiting for ${what}`))),
        withinMs,
      );
      const finish = (f: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        f();
      };
      listeners.add(check);
      check();
    });
  const send = (cmd: Record<string, unknown>) => proc.stdin?.write(`${JSON.stringify(cmd)}\n`);

  await until(() => (boundAt ? true : undefined), "bind", 20_000);
  return {
    endpoint: ep,
    proc,
    boundAt,
    subscriptions,
    get progress() {
      return progress;
    },
    subscribedAfter: (since, withinMs = 10_000) =>
      until(() => subscriptions.find((at) => at >= since), "a subscription", withinMs),
    stream(opts) {
      const done = new Promise<StreamResult>((resolve) => {
        if (failed) resolve({ sent: 0, firstSeq: Number.NaN, byAccount: {}, interrupted: true });
        else doneWaiters.push(resolve);
      });
      send({ cmd: "stream", ...opts });
      return done;
    },
    stop: () => send({ cmd: "stop" }),
    signal: (sig) => proc.kill(sig),
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await exited;
    },
  };
}
