/**
 * A start that fails half-way (the bind address is taken) rejects with the cause and leaves
 * nothing open: this file's process would not exit if a timer, socket or Redis client leaked.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startTestService } from "../helpers/service.js";
import { startPublisher, type TestPublisher } from "../helpers/zmq.js";

let redis: TestRedis;
let taken: TestPublisher;
before(async () => {
  redis = await startRedis();
  taken = await startPublisher();
});
after(async () => {
  taken.close();
  await redis.stop();
});

it("rejects when --zmq-bind's address is in use, and closes what it had opened", async () => {
  await assert.rejects(
    startTestService(["--redis", redis.url, "--zmq-bind", "--zmq", taken.endpoint, "--key-prefix", redis.prefix()]),
    /in use/i,
  );
  // The same flags on a free address start fine afterwards.
  const ok = await startTestService(["--redis", redis.url, "--zmq-bind", "--zmq", "tcp://127.0.0.1:0"]);
  assert.equal(await ok.stop(), true);
});
