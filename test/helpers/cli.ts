/** Runs the real `stats-server` executable (bin/stats-server.js) as a child process. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../bin/stats-server.js", import.meta.url));

export interface CliRun {
  child: ChildProcess;
  /** Resolves when the process exits: its code (or null when a signal ended it) and its output. */
  result: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Everything it printed so far. */
  output(): { stdout: string; stderr: string };
}

export function runCli(args: string[], opts: { stdin?: string | "pipe"; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    env: { ...process.env, ...opts.env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  if (opts.stdin !== undefined && opts.stdin !== "pipe") child.stdin?.end(opts.stdin);
  const result = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, result, output: () => ({ stdout, stderr }) };
}
