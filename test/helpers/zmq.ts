/** A real ZeroMQ PUB socket bound on a free port, as the event collector would be. */
import { XPublisher } from "zeromq";
import { freePort } from "./ports.js";

export interface TestPublisher {
  endpoint: string;
  send(message: string | Array<string | Buffer> | Buffer): Promise<void>;
  /** Resolves once `n` SUBSCRIBE messages have arrived; throws after `withinMs`. */
  waitForSubscribers(n?: number, withinMs?: number): Promise<void>;
  close(): void;
}

export async function startPublisher(endpoint?: string): Promise<TestPublisher> {
  const ep = endpoint ?? `tcp://127.0.0.1:${await freePort()}`;
  // An XPUB rather than a PUB: it receives each subscriber's SUBSCRIBE, so a test knows exactly when
  // messages it sends can no longer be lost to the slow-joiner window (no guessing with sleeps).
  const pub = new XPublisher({ sendHighWaterMark: 0, linger: 0 });
  pub.verbosity = "allSubs"; // every subscriber's SUBSCRIBE, not only the first per topic
  await pub.bind(ep);
  let subscribed = 0;
  const waiters: Array<() => void> = [];
  void (async () => {
    for await (const [frame] of pub) {
      if (frame?.[0] === 1) {
        subscribed++;
        for (const w of waiters.splice(0)) w();
      }
    }
  })().catch(() => {});
  return {
    endpoint: ep,
    send: (message) => pub.send(message),
    async waitForSubscribers(n = 1, withinMs = 15_000) {
      const deadline = Date.now() + withinMs;
      while (subscribed < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ZeroMQ subscription arrived at ${ep} within ${withinMs} ms`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
    },
    close: () => pub.close(),
  };
}

/** A pageview message in the single-frame `topic json` form. */
export function pageview(account: string, extra: Record<string, unknown> = {}, time?: unknown): string {
  return `pageview ${JSON.stringify({ type: "pageview", ...(time === undefined ? {} : { time }), data: { account, ...extra } })}`;
}

export function order(account: string, status?: unknown, time?: unknown): string {
  const data: Record<string, unknown> = { account };
  if (status !== undefined) data["status"] = status;
  return `order ${JSON.stringify({ type: "order", ...(time === undefined ? {} : { time }), data })}`;
}
