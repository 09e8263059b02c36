/**
 * The shard registry's storage, the same contract for Redis (a real redis-server) and for the
 * in-process registry of --store memory: a beat makes a claim live until its TTL runs out or it
 * is retired; a retired or expired claim still tells readers the last n.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import type { ShardClaim } from "../../src/domain/shard-view.js";
import { createKeySpace } from "../../src/store/keys.js";
import {
  createMemoryShardRegistry,
  createRedisShardRegistry,
  type ShardRegistryStore,
} from "../../src/store/shard-registry.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";

const ids = (claims: ShardClaim[]) => claims.map((c) => `${c.index}/${c.count} ${c.id}`).sort();

function contract(name: string, open: () => ShardRegistryStore) {
  describe(`shard registry store contract: ${name}`, () => {
    it("nothing registered: no live claim, last n 0", async () => {
      const store = open();
      assert.deepEqual(await store.read(), { live: [], lastCount: 0 });
      await store.close();
    });

    it("beats make claims live; retiring one keeps its n as the last seen", async () => {
      const store = open();
      const a: ShardClaim = { id: "host-a:1:aaaa", index: 0, count: 2 };
      const b: ShardClaim = { id: "host-b:2:bbbb", index: 1, count: 2 };
      await store.beat(a, 60_000);
      await store.beat(b, 60_000);
      assert.deepEqual(ids((await store.read()).live), ["0/2 host-a:1:aaaa", "1/2 host-b:2:bbbb"]);
      await store.retire(b);
      const after = await store.read();
      assert.deepEqual(ids(after.live), ["0/2 host-a:1:aaaa"]);
      assert.equal(after.lastCount, 2);
      await store.close();
    });

    it("a claim that is not renewed expires after its TTL", async () => {
      const store = open();
      const c: ShardClaim = { id: "host-c:3:cccc", index: 0, count: 3 };
      await store.beat(c, 300);
      assert.deepEqual(ids((await store.read()).live), ["0/3 host-c:3:cccc"]);
      await eventually(async () => (await store.read()).live.length === 0, "the claim to expire", 5_000);
      assert.equal((await store.read()).lastCount, 3, "the last n survives the expiry");
      await store.close();
    });
  });
}

let redis: TestRedis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

contract("redis", () => {
  const client = new Redis(redis.url);
  return createRedisShardRegistry(client, createKeySpace(redis.prefix()));
});
contract("memory", () => createMemoryShardRegistry());
