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
}

export function createChannel<T>(policy: ChannelPolicy, onClose: () => void): Channel<T> {
  const buffer: T[] = [];
  let waiting: ((r: IteratorResult<T>) => void) | undefined;
  let waitingReject: ((e: Error) => void) | undefined;
  let failure: Error | undefined;
  let closed = false;

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
        resolve({ value, done: false });
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
      if (buffer.length > 0) return Promise.resolve({ value: buffer.shift() as T, done: false });
      if (failure) {
        const error = failure;
        close();
        return Promise.reject(error);
      }
      if (closed) return Promise.resolve({ value: undefined, done: true });
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        waiting = resolve;
        waitingReject = reject;
      });
    },
    // The consumer is done (client gone, subscription stopped): detach and end a pending next().
    return: end,
    throw: end,
    [Symbol.asyncIterator]() {
      return channel;
    },
  };
  return channel;
}
