/** A real ZeroMQ PUB socket bound on a free port, as the event collector would be. */
import { Publisher } from "zeromq";
import { freePort, sleep } from "./ports.js";

export interface TestPublisher {
  endpoint: string;
  send(message: string | Array<string | Buffer> | Buffer): Promise<void>;
  /** Resolves once `n` subscribers have connected (and their subscriptions had time to arrive). */
  waitForSubscribers(n?: number): Promise<void>;
  close(): void;
}

export async function startPublisher(endpoint?: string): Promise<TestPublisher> {
  const ep = endpoint ?? `tcp://127.0.0.1:${await freePort()}`;
  const pub = new Publisher({ sendHighWaterMark: 0, linger: 0 });
  await pub.bind(ep);
  let accepted = 0;
  const waiters: Array<() => void> = [];
  void (async () => {
    for await (const ev of pub.events) {
      if (ev.type === "accept") {
        accepted++;
        for (const w of waiters.splice(0)) w();
      }
      if (ev.type === "end") break;
    }
  })().catch(() => {});
  return {
    endpoint: ep,
    send: (message) => pub.send(message),
    async waitForSubscribers(n = 1) {
      while (accepted < n) await new Promise<void>((r) => waiters.push(r));
      // The SUB side sends its subscription right after the handshake; give it a moment to land.
      await sleep(200);
    },
    close: () => pub.close(),
  };
}

/** A pageview message in the single-frame `topic json` form. */
export function pageview(account: string, extra: Record<string, unknown> = {}, time?: unknown): string {
  return `pageview ${JSON.stringify({ type: "pageview", ...(time === undefined ? {} : { time }), data: { account, ...extra } })}`;
}

export function order(account: string, status?: unknown): string {
  const data: Record<string, unknown> = { account };
  if (status !== undefined) data["status"] = status;
  return `order ${JSON.stringify({ type: "order", data })}`;
}
