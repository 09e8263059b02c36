/**
 * The shard lease and the fenced flush on a real Redis and a real three-master cluster: one owner
 * at a time; a write fenced with a lease its writer does not hold is refused and writes nothing;
 * an owner whose lease lapsed takes it back only when nobody held it meanwhile (its epoch is still
 * the last); a released lease is claimable at once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Cluster, Redis } from "ioredis";
import type { Batch } from "../../src/domain/types.js";
import { LeaseLostError } from "../../src/store/errors.js";
import { createKeySpace } from "../../src/store/keys.js";
import { createRedisBackend } from "../../src/store/redis-backend.js";
import { createRedisShardLease } from "../../src/store/shard-lease.js";
import { createStatsStore } from "../../src/store/stats-store.js";
import { eventually } from "../helpers/ports.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startRedisCluster, type TestCluster } from "../helpers/redis-cluster.js";

const shard = { index: 1, count: 2 };

function contract(name: string, open: () => Redis | Cluster) {
  describe(`shard lease and fenced writes: ${name}`, () => {
    let client: Redis | Cluster;
    let prefix: string;
    before(() => {
      client = open();
      prefix = `lease${Math.random().toString(36).slice(2, 8)}:`;
    });
    after(() => {
      if (client !== cluster.client) client.disconnect();
    });

    it("one owner; a write fenced by another is refused and writes nothing", async () => {
      const keys = createKeySpace(prefix);
      const leases = createRedisShardLease(client, keys);
      const a = await leases.claim(shard, "A", 60_000, "");
      assert.deepEqual(a, { held: true, epoch: "1" });
      const b = await leases.claim(shard, "B", 60_000, "");
      assert.equal(b.held, false);
      assert.equal(!b.held && b.owner, "A");

      const store = createStatsStore(createRedisBackend(client), keys, { minuteRetentionSeconds: 3600 });
      await store.apply(realBatch("b1", "acme"), { shard, owner: "A" });
      await assert.rejects(store.apply(realBatch("b2", "acme"), { shard, owner: "B" }), LeaseLostError);
      assert.equal(await client.hget(`${prefix}track:acme:pageview:2024`, "5"), "1", "only A's write counted");
    });

    it("a lapsed lease: taken back by its owner if nobody held it since, never after another did", async () => {
      const keys = createKeySpace(`${prefix}lapse:`);
      const leases = createRedisShardLease(client, keys);
      const a = await leases.claim(shard, "A", 200, "");
      assert.ok(a.held);
      const epochA = a.held ? a.epoch : "";
      await eventually(async () => (await client.exists(keys.shardLease(1, 2))) === 0, "the lease to lapse");
      // Nobody claimed it meanwhile: A takes it back with its epoch.
      assert.deepEqual(await leases.claim(shard, "A", 200, epochA), { held: true, epoch: epochA });
      await eventually(async () => (await client.exists(keys.shardLease(1, 2))) === 0, "the lease to lapse again");
      // B claims it, then stops cleanly (releases): A must not take it back, whatever it counted since.
      const b = await leases.claim(shard, "B", 60_000, "");
      assert.ok(b.held);
      await leases.release(shard, "B");
      assert.equal(await client.exists(keys.shardLease(1, 2)), 0, "released at once");
      const again = await leases.claim(shard, "A", 60_000, epochA);
      assert.deepEqual(again, { held: false, owner: "", ttlMs: 0 });
      const store = createStatsStore(createRedisBackend(client), keys, { minuteRetentionSeconds: 3600 });
      await assert.rejects(store.apply(realBatch("late", "acme"), { shard, owner: "A" }), LeaseLostError);
      assert.equal(await client.exists(`${prefix}lapse:track:acme:pageview:2024`), 0, "A wrote nothing");
      // As a new claimant it may own it again (and then counts only what it receives from then on).
      const fresh = await leases.claim(shard, "A", 60_000, "");
      assert.ok(fresh.held && Number(fresh.epoch) > Number(epochA));
    });

    it("release only by the holder", async () => {
      const keys = createKeySpace(`${prefix}rel:`);
      const leases = createRedisShardLease(client, keys);
      await leases.claim(shard, "A", 60_000, "");
      await leases.release(shard, "B");
      assert.equal(await client.get(keys.shardLease(1, 2)), "A");
    });
  });
}

/** One pageview of `account` at 2024-05-06 07:08 UTC. */
function realBatch(id: string, account: string): Batch {
  return {
    id,
    events: 1,
    deltas: [{ kind: "track", account, event: "pageview", year: 2024, month: 5, day: 6, hour: 7, minute: 8, count: 1 }],
  };
}

let redis: TestRedis;
let cluster: TestCluster;
before(async () => {
  redis = await startRedis();
  cluster = await startRedisCluster();
});
after(async () => {
  await redis.stop();
  await cluster.stop();
});

contract("redis", () => new Redis(redis.url));
contract("cluster", () => cluster.client);
