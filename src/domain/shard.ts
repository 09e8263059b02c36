/**
 * `--shard i/n`: several ingest processes split one event stream by account, so none
 * double-counts. The rollup `all` stays exact: each event is counted by exactly one shard.
 */
export interface Shard {
  index: number;
  count: number;
}

/**
 * The largest n of `--shard i/n`. Every ingest process reads the whole stream and drops what is
 * not its shard, so n beyond a few dozen only multiplies the reading; 1,024 is far past any useful
 * split, and keeps everything sized by n (the registry's view, /readyz's lists) small.
 */
export const MAX_SHARDS = 1024;

/**
 * What a fenced write carries: the shard whose lease it needs and the owner that must hold it.
 * The store refuses the write when another process holds the lease (decision 5).
 */
export interface Fence {
  shard: Shard;
  owner: string;
}

export function parseShard(text: string): Shard | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS || index >= count) return undefined;
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
