/**
 * Benchmark publisher (child process): binds a PUB socket, waits for `--subscribers`, then sends
 * `--count` pageview events as fast as the socket takes them, over `--accounts` accounts with
 * 10% marked unique. Reports to the parent over IPC: { type: "started", at } then
 * { type: "sent", sent, at, ms }.
 */
import { parseArgs } from "node:util";
import { Publisher } from "zeromq";

const { values } = parseArgs({
  options: {
    endpoint: { type: "string" },
    count: { type: "string", default: "500000" },
    accounts: { type: "string", default: "60" },
    subscribers: { type: "string", default: "1" },
  },
});
const count = Number(values.count);
const accounts = Number(values.accounts);
const send = (msg: unknown) => process.send?.(msg);

// A pool of distinct messages, reused: building 500k strings would measure the generator.
const pool: Buffer[] = [];
for (let i = 0; i < accounts * 10; i++) {
  const account = `acct-${i % accounts}`;
  const data: Record<string, string> = { account, unq: i % 10 === 0 ? "1" : "0", path: `/p/${i}` };
  pool.push(Buffer.from(`pageview ${JSON.stringify({ type: "pageview", time: new Date().toISOString(), data })}`));
}

// The whole stream fits in the send queue: the PUB socket never drops for lack of room, so any
// loss measured downstream is the subscriber's.
const pub = new Publisher({ sendHighWaterMark: count + 1000, linger: 5_000 });
await pub.bind(values.endpoint as string);

let accepted = 0;
const wanted = Number(values.subscribers);
await new Promise<void>((resolve) => {
  void (async () => {
    for await (const ev of pub.events) {
      if (ev.type === "accept" && ++accepted >= wanted) resolve();
      if (ev.type === "end") break;
    }
  })();
});
// Subscriptions travel right after the handshake: give them a moment to land.
await new Promise((r) => setTimeout(r, 300));

const started = Date.now();
send({ type: "started", at: started });
for (let i = 0; i < count; i++) await pub.send(pool[i % pool.length] as Buffer);
const done = Date.now();
send({ type: "sent", sent: count, at: done, ms: done - started });

// Stay until the parent says so: closing would drop what is still queued.
process.on("message", (m: { type?: string }) => {
  if (m?.type === "exit") {
    pub.close();
    process.exit(0);
  }
});
