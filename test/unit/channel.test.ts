import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createChannel, takeEach } from "../../src/live/channel.js";

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

describe("live channel, take (a reader that writes each value itself)", () => {
  /** Takes like a transport: records each value, and takes again only when `release()` says it was written. */
  function reader<T>(channel: { take(onValue: (v: T) => void, onStop: () => void): void }) {
    const values: T[] = [];
    let stops = 0;
    let written: (() => void) | undefined;
    const take = () =>
      channel.take(
        (v) => {
          values.push(v);
          written = take;
        },
        () => stops++,
      );
    take();
    return {
      values,
      get stops() {
        return stops;
      },
      release() {
        const w = written;
        written = undefined;
        w?.();
      },
    };
  }

  it("hands the value from push() itself, and the newest state once the previous one is written", () => {
    const channel = createChannel<number>({ kind: "latest" }, () => {});
    const r = reader(channel);
    channel.push(1);
    assert.deepEqual(r.values, [1], "handed over synchronously, no promise");
    channel.push(2);
    channel.push(3);
    assert.deepEqual(r.values, [1], "nothing more while 1 is being written");
    r.release();
    assert.deepEqual(r.values, [1, 3], "a slow reader skips to the newest");
    r.release();
    channel.push(4);
    assert.deepEqual(r.values, [1, 3, 4]);
  });

  it("maps each value as it hands it over; a queue keeps order", () => {
    const channel = createChannel<number>({ kind: "queue", limit: 10 }, () => {});
    const r = reader(channel.mapped((n) => `#${n}`));
    channel.push(1);
    channel.push(2);
    channel.push(3);
    r.release();
    r.release();
    assert.deepEqual(r.values, ["#1", "#2", "#3"]);
  });

  it("leaves the end to next(): a failure is reported after what was queued, and next() still rejects with it", async () => {
    let closes = 0;
    const channel = createChannel<number>({ kind: "queue", limit: 2 }, () => closes++);
    const r = reader(channel);
    channel.push(1);
    channel.push(2);
    channel.push(3);
    channel.push(4); // over the limit while 1 is being written
    assert.equal(r.stops, 0);
    r.release();
    r.release();
    assert.deepEqual(r.values, [1, 2, 3]);
    r.release();
    assert.equal(r.stops, 1, "nothing more to take");
    assert.equal(closes, 0, "the end is not consumed by take()");
    await assert.rejects(channel.next(), /fell more than 2 messages behind/);
    assert.equal(closes, 1);
  });

  it("a map that throws stops the reader; next() rejects with the map's error", async () => {
    const channel = createChannel<number>({ kind: "latest" }, () => {});
    const r = reader(
      channel.mapped((n) => {
        if (n === 2) throw new Error("cannot map 2");
        return n;
      }),
    );
    channel.push(1);
    r.release();
    channel.push(2);
    assert.deepEqual(r.values, [1]);
    assert.equal(r.stops, 1);
    await assert.rejects(channel.next(), /cannot map 2/);
  });

  it("a map that returns a promise hands over its value when it settles", async () => {
    const channel = createChannel<number>({ kind: "latest" }, () => {});
    const r = reader(channel.mapped(async (n) => n * 10));
    channel.push(1);
    assert.deepEqual(r.values, []);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(r.values, [10]);
  });

  it("return() stops a waiting reader and detaches once; next() is done", async () => {
    let closes = 0;
    const channel = createChannel<number>({ kind: "latest" }, () => closes++);
    const r = reader(channel);
    await channel.return?.();
    assert.equal(r.stops, 1);
    assert.equal(closes, 1);
    channel.push(1);
    assert.deepEqual(r.values, []);
    assert.deepEqual(await channel.next(), { value: undefined, done: true });
  });
});

describe("takeEach", () => {
  it("reads values written at once in a loop: a long queue does not grow the stack", () => {
    const channel = createChannel<number>({ kind: "queue", limit: 200_000 }, () => {});
    let written = 0;
    let later: (() => void) | undefined;
    // The first value is written later (as a socket does), so the rest queue up meanwhile.
    takeEach(
      channel,
      (_value, next) => {
        written++;
        if (written === 1) later = next;
        else next();
      },
      () => {},
    );
    for (let i = 0; i < 150_000; i++) channel.push(i);
    assert.equal(written, 1);
    later?.();
    assert.equal(written, 150_000, "all read, without a stack overflow");
    channel.push(-1);
    assert.equal(written, 150_001, "and the next one from push() itself");
  });

  it("a write that does not call next stops the reading; onStop when the channel ends", async () => {
    const channel = createChannel<number>({ kind: "queue", limit: 10 }, () => {});
    const seen: number[] = [];
    let stops = 0;
    takeEach(
      channel,
      (value, next) => {
        seen.push(value);
        if (value < 2) next();
      },
      () => stops++,
    );
    for (const n of [1, 2, 3]) channel.push(n);
    assert.deepEqual(seen, [1, 2]);
    const other: number[] = [];
    takeEach(
      channel,
      (value, next) => {
        other.push(value);
        next();
      },
      () => stops++,
    );
    assert.deepEqual(other, [3]);
    await channel.return?.();
    assert.equal(stops, 1);
  });
});
