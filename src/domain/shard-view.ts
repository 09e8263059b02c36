/**
 * What the shard registry's entries mean: given the ingest processes that are alive (each claiming
 * shard i of n), which shards are covered, missing or claimed twice, and which processes disagree
 * on n. Pure: the registry (src/store/shard-registry.ts) reads Redis, this decides.
 */

/** One ingest process's registration: `--shard index/count` (0/1 when unsharded). */
export interface ShardClaim {
  /** Unique per process run: host:pid:random. */
  id: string;
  index: number;
  count: number;
  /**
   * owner: holds the shard's lease and counts its events; standby: waits for the lease and counts
   * nothing (fencing: one owner per shard). Absent means owner (a registration without fencing).
   */
  state?: "owner" | "standby";
}

export interface ShardView {
  /** n the live processes agree on (the most common; ties → the larger), else the last one seen; 0 = none ever. */
  expected: number;
  /** Shard indexes with exactly one or more live processes (sorted). */
  alive: number[];
  /** Shard indexes 0..expected-1 with no live process (sorted). */
  missing: number[];
  /** Shard indexes claimed by two or more live processes, with the processes. */
  duplicate: Array<{ shard: number; instances: string[] }>;
  /** Live processes whose n is not `expected`: they own a different split of the accounts. */
  disagreeing: Array<{ instance: string; shard: string }>;
  /** Live processes waiting for a shard's lease (they count nothing), by shard. */
  standby: Array<{ shard: number; instance: string }>;
}

/**
 * @param live       claims whose heartbeat has not expired (n ≤ MAX_SHARDS: the registry drops others)
 * @param lastCount  n of the most recently seen claim, alive or not (the fallback when none is alive)
 *
 * A shard is alive when an owner holds it; standbys are listed apart and alive nothing. Duplicate
 * (two owners) cannot happen between processes that fence; it still shows a process without it.
 */
export function viewShards(live: readonly ShardClaim[], lastCount = 0): ShardView {
  const votes = new Map<number, number>();
  for (const c of live) votes.set(c.count, (votes.get(c.count) ?? 0) + 1);
  let expected = lastCount;
  let best = 0;
  for (const [count, n] of votes) {
    if (n > best || (n === best && count > expected)) {
      expected = count;
      best = n;
    }
  }

  const byIndex = new Map<number, string[]>();
  const disagreeing: ShardView["disagreeing"] = [];
  const standby: ShardView["standby"] = [];
  for (const c of live) {
    if (c.count !== expected) {
      disagreeing.push({ instance: c.id, shard: `${c.index}/${c.count}` });
      continue;
    }
    if (c.state === "standby") {
      standby.push({ shard: c.index, instance: c.id });
      continue;
    }
    const ids = byIndex.get(c.index);
    if (ids) ids.push(c.id);
    else byIndex.set(c.index, [c.id]);
  }

  const alive: number[] = [];
  const missing: number[] = [];
  const duplicate: ShardView["duplicate"] = [];
  for (let i = 0; i < expected; i++) {
    const ids = byIndex.get(i);
    if (!ids) {
      missing.push(i);
      continue;
    }
    alive.push(i);
    if (ids.length > 1) duplicate.push({ shard: i, instances: [...ids].sort() });
  }
  disagreeing.sort((a, b) => a.instance.localeCompare(b.instance));
  standby.sort((a, b) => a.shard - b.shard || a.instance.localeCompare(b.instance));
  return { expected, alive, missing, duplicate, disagreeing, standby };
}

/** True when the view shows an operator error or a gap: a shard missing, claimed twice, or split differently. */
export function shardTrouble(view: ShardView): boolean {
  return view.missing.length > 0 || view.duplicate.length > 0 || view.disagreeing.length > 0;
}

/** The trouble in words, for /readyz: which shards are missing, held twice, or split by another n. */
export function describeShardTrouble(view: ShardView): string {
  const parts: string[] = [];
  if (view.missing.length > 0) parts.push(`missing shards ${view.missing.join(", ")} of ${view.expected}`);
  for (const d of view.duplicate) parts.push(`shard ${d.shard} held by ${d.instances.length} processes`);
  if (view.disagreeing.length > 0) {
    parts.push(
      `processes split by another n: ${view.disagreeing.map((d) => d.shard).join(", ")} (expected n ${view.expected})`,
    );
  }
  return parts.join("; ");
}
