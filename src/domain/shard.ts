/**
 * `--shard i/n`: several ingest processes split one event stream by account, so none
 * double-counts. The rollup `all` stays exact: each event is counted by exactly one shard.
 */
export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) return undefined;
  return { index, count };
}

/** FNV-1a over the account's UTF-16 code units: stable across processes and releases. */
export function ownsAccount(shard: Shard, account: string): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < account.length; i++) {
    h ^= account.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shard.count === shard.index;
}
