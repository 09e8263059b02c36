/**
 * Reads the Redis server's version when the command connection becomes ready (at start and after
 * every reconnect) and says so when it is older than 6.2: `top` (docs/contract.md §9) reads a window with
 * ZUNION, which 6.2 introduced. Everything else works on older servers; `top` answers an error.
 */
import { Cluster, type Redis } from "ioredis";
import type { Logger } from "../log.js";

export const TOP_NEEDS = [6, 2] as const;

/** True when a `redis_version` (e.g. "6.0.16") is older than 6.2. */
export function tooOldForTop(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major < TOP_NEEDS[0] || (major === TOP_NEEDS[0] && minor < TOP_NEEDS[1]);
}

export function watchRedisVersion(client: Redis | Cluster, log: Logger): void {
  const read = async () => {
    const nodes: Redis[] = client instanceof Cluster ? client.nodes("master") : [client];
    for (const node of nodes) {
      const info = await node.info("server");
      const version = /^redis_version:(\S+)/m.exec(info)?.[1] ?? "unknown";
      if (tooOldForTop(version)) {
        log.warn(
          { redisVersion: version, required: TOP_NEEDS.join(".") },
          `Redis ${version} is older than 6.2: the top query and subscription need ZUNION (Redis 6.2) and will answer an error; every other API works`,
        );
        return;
      }
    }
  };
  const onReady = () => {
    read().catch((err: unknown) =>
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "could not read the Redis version"),
    );
  };
  client.on("ready", onReady);
  if (client.status === "ready") onReady();
}
