/**
 * A push-to-pull bridge for one subscriber: the feed pushes, GraphQL pulls with `for await`.
 * Two policies, because the two subscriptions mean different things:
 * - `latest`: a newer state replaces an undelivered one (a slow client skips to the newest Stats);
 * - `queue`: every item is kept, up to `limit`; past that the subscriber is too slow to follow
 *   and its subscription ends with an error rather than eating memory without bound.
 */
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
  mapped<R>(map: (value: T) => R | Promise<R>): AsyncIterableIterator<R>;
}

export function createChannel<T>(policy: ChannelPolicy, onClose: () => void): Channel<T> {
  const buffer: T[] = [];
  let waiting: ((r: IteratorResult<T> | Promise<IteratorResult<T>>) => void) | undefined;
  let waitingReject: ((e: Error) => void) | undefined;
  let failure: Error | undefined;
  let closed = false;
  let map: ((value: T) => unknown) | undefined;

  const close = () => {
    if (closed) return;
    closed = true;
    buffer.length = 0;
    onClose();
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

  const channel: Channel<T> = {
    get closed() {
      return closed;
    },
    push(value) {
      if (closed || failure) return;
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
        channel.fail(new Error(`subscriber fell more than ${policy.limit} messages behind; subscription ended`));
        return;
      }
      buffer.push(value);
    },
    fail(error) {
      if (closed || failure) return;
      failure = error;
      if (waitingReject) {
        const reject = waitingReject;
        waiting = undefined;
        waitingReject = undefined;
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
        const error = failure;
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
    // The consumer is done (client gone, subscription stopped): detach and end a pending next().
    return: end,
    throw: end,
    [Symbol.asyncIterator]() {
      return channel;
    },
    mapped<R>(fn: (value: T) => R | Promise<R>): AsyncIterableIterator<R> {
      if (map !== undefined) throw new Error("a channel is mapped once");
      map = fn as (value: T) => unknown;
      return channel as unknown as AsyncIterableIterator<R>;
    },
  };
  return channel;
}
