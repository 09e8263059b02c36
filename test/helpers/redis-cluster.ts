/**
 * Spawns a private three-master Redis Cluster on free ports (each node's cluster bus is port+10000),
 * for tests of --redis-cluster; stops and removes it afterwards.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Cluster } from "ioredis";
import { eventually } from "./ports.js";

const run = promisify(execFile);

export interface TestCluster {
  nodes: string[];
  client: Cluster;
  stop(): Promise<void>;
}

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });

async function clusterPorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) {
    const p = 20_000 + Math.floor(Math.random() * 10_000);
    if (!ports.includes(p) && (await isFree(p)) && (await isFree(p + 10_000))) ports.push(p);
  }
  return ports;
}

export async function startRedisCluster(): Promise<TestCluster> {
  const ports = await clusterPorts(3);
  const dir = mkdtempSync(join(tmpdir(), "stats-cluster-"));
  const procs: ChildProcess[] = ports.map((port) =>
    spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        join(dir, `nodes-${port}.conf`),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--logfile",
        join(dir, `${port}.log`),
      ],
      { stdio: "ignore" },
    ),
  );
  const nodes = ports.map((p) => `127.0.0.1:${p}`);
  await eventually(async () => {
    for (const p of ports) await run("redis-cli", ["-p", String(p), "ping"]);
    return true;
  }, "cluster nodes to start");
  await run("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", "0", "--cluster-yes"]);
  await eventually(async () => {
    const { stdout } = await run("redis-cli", ["-p", String(ports[0]), "cluster", "info"]);
    return stdout.includes("cluster_state:ok");
  }, "cluster_state:ok");
  const client = new Cluster(ports.map((port) => ({ host: "127.0.0.1", port })));
  client.on("error", () => {});
  return {
    nodes,
    client,
    async stop() {
      client.disconnect();
      await Promise.all(
        procs.map((p) =>
          p.exitCode === null
            ? new Promise((r) => {
                p.once("exit", r);
                p.kill("SIGKILL");
              })
            : undefined,
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
