import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createChannel } from "../../src/live/channel.js";

describe("live channel, mapped", () => {
  it("hands a waiting reader the mapped value, and a buffered one when it asks", async () => {
    const channel = createChannel<number>({ kind: "queue", limit: 10 }, () => {});
    const seen: number[] = [];
    const mapped = channel.mapped((n) => {
      seen.push(n);
      return `#${n}`;
    });
    const waiting = mapped.next();
    channel.push(1);
    assert.deepEqual(await waiting, { value: "#1", done: false });
    channel.push(2);
    channel.push(3);
    assert.deepEqual(await mapped.next(), { value: "#2", done: false });
    assert.deepEqual(await mapped.next(), { value: "#3", done: false });
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it("maps only the newest state of a `latest` channel (the skipped ones never run)", async () => {
    const channel = createChannel<number>({ kind: "latest" }, () => {});
    const seen: number[] = [];
    const mapped = channel.mapped((n) => {
      seen.push(n);
      return n * 10;
    });
    channel.push(1);
    channel.push(2);
    assert.deepEqual(await mapped.next(), { value: 20, done: false });
    assert.deepEqual(seen, [2]);
  });

  it("waits for a map that returns a promise", async () => {
    const channel = createChannel<number>({ kind: "queue", limit: 10 }, () => {});
    const mapped = channel.mapped(async (n) => n + 1);
    const waiting = mapped.next();
    channel.push(1);
    assert.deepEqual(await waiting, { value: 2, done: false });
  });

  for (const kind of ["throws", "rejects"] as const) {
    it(`ends the channel when the map ${kind}: the reader gets the error, the feed is detached`, async () => {
      let detached = 0;
      const channel = createChannel<number>({ kind: "queue", limit: 10 }, () => detached++);
      const mapped = channel.mapped((n) => {
        if (kind === "throws") throw new Error(`bad ${n}`);
        return Promise.reject(new Error(`bad ${n}`));
      });
      const waiting = mapped.next();
      channel.push(7);
      await assert.rejects(waiting, /bad 7/);
      assert.equal(detached, 1);
      assert.equal(channel.closed, true);
      assert.deepEqual(await mapped.next(), { value: undefined, done: true });
    });
  }

  it("is mapped once", () => {
    const channel = createChannel<number>({ kind: "latest" }, () => {});
    channel.mapped((n) => n);
    assert.throws(() => channel.mapped((n) => n), /mapped once/);
  });
});
