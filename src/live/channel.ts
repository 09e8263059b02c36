/**
 * A push-to-pull bridge for one subscriber: the feed pushes, GraphQL pulls with `for await`.
 * Two policies, because the two subscriptions mean different things:
 * - `latest`: a newer state replaces an undelivered one (a slow client skips to the newest Stats);
 * - `queue`: every item is kept, up to `limit`; past that the subscriber is too slow to follow
 *   and its subscription ends with an error rather than eating memory without bound.
 */
/** Why a `queue` subscription ended: its subscriber read too slowly (a reason to tell the client). */
export class FellBehind extends Error {
  override readonly name = "FellBehind";
  constructor(readonly limit: number) {
    super(`subscriber fell more than ${limit} messages behind; subscription ended`);
  }
}

export type ChannelPolicy = { kind: "latest" } | { kind: "queue"; limit: number };

export interface Channel<T> extends AsyncIterableIterator<T> {
  push(value: T): void;
  /** Ends the subscription with an error (delivered after what is already buffered). */
  fail(error: Error): void;
  readonly closed: boolean;
  /**
   * This channel, yielding `map(value)` for each value from now on: the map runs as the value is
   * handed over (a waiting reader gets the mapped value from push() itself), so mapping costs no
   * second promise per message, as a wrapping async iterator would. A map that throws or rejects
   * ends the channel (detaching it) and the reader gets the error. Only one map per channel.
   */
  mapped<R>(map: (value: T) => R | Promise<R>): MappedChannel<R>;
  /**
   * next() for a reader that writes each value straight to its client: `onValue` gets the next
   * (mapped) value — at once when one is waiting, else from push() — with no promise per message.
   * Call take() again once the value is written. When there is no value to come (the channel
   * ended, failed or its map failed), `onStop` is called instead and the end is left where it
   * is: next() still reports it (done, or the error), so the rest goes through the reader's
   * usual path.
   */
  take(onValue: (value: T) => void, onStop: () => void): void;
}

/** A mapped channel: read with `for await`, or by take(). */
export type MappedChannel<R> = AsyncIterableIterator<R> & Pick<Channel<R>, "take">;

export function createChannel<T>(policy: ChannelPolicy, onClose: () => void): Channel<T> {
  const buffer: T[] = [];
  let waiting: ((r: IteratorResult<T> | Promise<IteratorResult<T>>) => void) | undefined;
  let waitingReject: ((e: Error) => void) | undefined;
  let failure: Error | undefined;
  let closed = false;
  let map: ((value: T) => unknown) | undefined;
  /** A waiting take(): its two callbacks (two fields, not an object per take). */
  let takeValue: ((value: T) => void) | undefined;
  let takeStop: (() => void) | undefined;

  /** A waiting take() learns there is nothing more to take. */
  const stopTaker = () => {
    const onStop = takeStop;
    takeValue = undefined;
    takeStop = undefined;
    onStop?.();
  };

  const close = () => {
    if (closed) return;
    closed = true;
    buffer.length = 0;
    onClose();
    stopTaker();
  };

  const end = (): Promise<IteratorResult<T>> => {
    const resolve = waiting;
    waiting = undefined;
    waitingReject = undefined;
    close();
    resolve?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  };

  /** What a reader is handed for `value`: itself, or its mapped value (a failed map closes the channel). */
  const deliver = (value: T): IteratorResult<T> | Promise<IteratorResult<T>> => {
    if (map === undefined) return { value, done: false };
    let mapped: unknown;
    try {
      mapped = map(value);
    } catch (error) {
      close();
      return Promise.reject(error);
    }
    if (!(mapped instanceof Promise)) return { value: mapped as T, done: false };
    return mapped.then(
      (v: unknown) => ({ value: v as T, done: false }),
      (error: unknown) => {
        close();
        throw error;
      },
    );
  };

  /** Hands `value` to a take() reader; a failed map becomes the channel's failure, for next() to report. */
  const handOver = (value: T, onValue: (value: T) => void, onStop: () => void) => {
    if (map === undefined) return onValue(value);
    let mapped: unknown;
    try {
      mapped = map(value);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      return onStop();
    }
    if (!(mapped instanceof Promise)) return onValue(mapped as T);
    mapped.then(
      (v: unknown) => (closed ? onStop() : onValue(v as T)),
      (error: unknown) => {
        failure = error instanceof Error ? error : new Error(String(error));
        onStop();
      },
    );
  };

  const channel: Channel<T> = {
    get closed() {
      return closed;
    },
    push(value) {
      if (closed || failure) return;
      if (takeValue !== undefined && takeStop !== undefined) {
        const onValue = takeValue;
        const onStop = takeStop;
        takeValue = undefined;
        takeStop = undefined;
        handOver(value, onValue, onStop);
        return;
      }
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        waitingReject = undefined;
        resolve(deliver(value));
        return;
      }
      if (policy.kind === "latest") {
        buffer[0] = value;
        return;
      }
      if (buffer.length >= policy.limit) {
        channel.fail(new FellBehind(policy.limit));
        return;
      }
      buffer.push(value);
    },
    fail(error) {
      if (closed || failure) return;
      failure = error;
      stopTaker();
      if (waitingReject) {
        const reject = waitingReject;
        waiting = undefined;
        waitingReject = undefined;
        failure = undefined; // reported, here: the next next() finds the channel done
        close();
        reject(error);
      }
    },
    next() {
      if (buffer.length > 0) {
        const r = deliver(buffer.shift() as T);
        return r instanceof Promise ? r : Promise.resolve(r);
      }
      if (failure) {
        // Reported once: an iterator that threw is done (a reader that asks again, as Yoga's
        // error mapping does, must not get the error again, and again).
        const error = failure;
        failure = undefined;
        close();
        return Promise.reject(error);
      }
      if (closed) return Promise.resolve({ value: undefined, done: true });
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        // resolve() also takes the promise of a mapped value that is still to come (deliver()).
        waiting = resolve as (r: IteratorResult<T> | Promise<IteratorResult<T>>) => void;
        waitingReject = reject;
      });
    },
    take(onValue, onStop) {
      if (buffer.length > 0) return handOver(buffer.shift() as T, onValue, onStop);
      if (closed || failure) return onStop();
      takeValue = onValue;
      takeStop = onStop;
    },
    // The consumer is done (client gone, subscription stopped): detach and end a pending next().
    return: end,
    throw: end,
    [Symbol.asyncIterator]() {
      return channel;
    },
    mapped<R>(fn: (value: T) => R | Promise<R>): MappedChannel<R> {
      if (map !== undefined) throw new Error("a channel is mapped once");
      map = fn as (value: T) => unknown;
      return channel as unknown as MappedChannel<R>;
    },
  };
  return channel;
}

/**
 * Reads `source` with take(), handing each value to `write`, which calls `next` once the value
 * is written — at once, or later (when the socket has taken it). Values written at once are read
 * in a loop, not a recursion, however many wait. `onStop`: nothing more to take (see take()).
 * A `write` that does not call `next` stops the reading.
 */
export function takeEach<T>(
  source: Pick<Channel<T>, "take">,
  write: (value: T, next: () => void) => void,
  onStop: () => void,
): void {
  let reading = false;
  let again = false;
  const onValue = (value: T) => write(value, next);
  function next() {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    do {
      again = false;
      source.take(onValue, onStop);
    } while (again);
    reading = false;
  }
  next();
}
