/**
 * Redis Cluster helpers. A flush chunk touches keys in many hash slots, but a Lua script may only
 * touch one slot; so the writes are grouped by slot and each group gets its own guard key, made
 * to hash to that same slot with a `{tag}` chosen for it. Exactly-once then holds per group.
 */
import calculateSlot from "cluster-key-slot";

const tags = new Map<number, string>();

/** A short hash tag whose CRC16 slot is `slot` (found once, then cached). */
export function tagForSlot(slot: number): string {
  let tag = tags.get(slot);
  if (tag !== undefined) return tag;
  for (let i = 0; ; i++) {
    const candidate = i.toString(36);
    const s = calculateSlot(candidate);
    if (!tags.has(s)) tags.set(s, candidate);
    if (s === slot) {
      tag = candidate;
      return tag;
    }
  }
}

export function slotOf(key: string): number {
  return calculateSlot(key);
}
