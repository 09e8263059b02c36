/**
 * Reads Redis's `maxmemory-policy` when the command connection becomes ready — at start and after
 * every reconnect (a failover may land on a server configured differently) — and says so loudly
 * unless it is `noeviction`: under any other policy Redis may evict the exactly-once guard keys
 * (`applied:*`, which carry a TTL and go first under volatile-*), and a retried batch would then
 * count twice. Read with INFO (not CONFIG GET, which managed Redis services often disable).
 */
import { Cluster, type Redis } from "ioredis";
import type { Logger } from "../log.js";

export const REQUIRED_POLICY = "noeviction";

export interface PolicyWatch {
  /** The policy last read ("a, b" when cluster masters differ); undefined before the first read. */
  policy(): string | undefined;
  /** A warning for /readyz, or undefined when the policy is noeviction. */
  warning(): string | undefined;
}

export function watchMaxmemoryPolicy(client: Redis | Cluster, log: Logger): PolicyWatch {
  let policy: string | undefined;
  const read = async () => {
    const nodes: Redis[] = client instanceof Cluster ? client.nodes("master") : [client];
    const found = new Set<string>();
    for (const node of nodes) {
      const info = await node.info("memory");
      found.add(/^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? "unknown");
    }
    const next = [...found].sort().join(", ");
    if (next !== REQUIRED_POLICY) {
      log.error(
        { maxmemoryPolicy: next, required: REQUIRED_POLICY },
        `Redis maxmemory-policy is ${next}, not ${REQUIRED_POLICY}: under memory pressure Redis may evict the exactly-once guards, and a retried flush would then count twice. Set: CONFIG SET maxmemory-policy ${REQUIRED_POLICY} (and in redis.conf)`,
      );
    } else if (policy !== undefined && policy !== next) {
      log.info({ maxmemoryPolicy: next }, "Redis maxmemory-policy is noeviction now");
    }
    policy = next;
  };
  const onReady = () => {
    read().catch((err: unknown) =>
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "could not read Redis maxmemory-policy"),
    );
  };
  client.on("ready", onReady);
  if (client.status === "ready") onReady();
  return {
    policy: () => policy,
    warning: () =>
      policy === undefined || policy === REQUIRED_POLICY
        ? undefined
        : `maxmemory-policy is ${policy}, not ${REQUIRED_POLICY}: the exactly-once guards can be evicted`,
  };
}
