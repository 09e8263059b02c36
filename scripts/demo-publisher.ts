/**
 * A stand-in for the event collector, for trying the service out: binds a ZeroMQ PUB socket
 * (default tcp://127.0.0.1:6000, where stats-server connects by default) and publishes random
 * pageview and order events until stopped.
 *
 *   npm run demo:events -- [endpoint] [events-per-second]
 */
import { Publisher } from "zeromq";

const endpoint = process.argv[2] ?? "tcp://127.0.0.1:6000";
const rate = Number(process.argv[3] ?? 20);
const accounts = ["acme", "globex", "initech"];
const statuses = ["cart", "checkout", "paid", "shipped"];
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;

const pub = new Publisher();
await pub.bind(endpoint);
process.stdout.write(`demo publisher bound to ${endpoint}, ~${rate} events/s (Ctrl-C to stop)\n`);

let sent = 0;
const timer = setInterval(async () => {
  const account = pick(accounts);
  const event =
    Math.random() < 0.8
      ? { type: "pageview", time: new Date().toISOString(), data: { account, unq: Math.random() < 0.3 ? "1" : "0" } }
      : { type: "order", time: new Date().toISOString(), data: { account, status: pick(statuses) } };
  await pub.send(`${event.type} ${JSON.stringify(event)}`);
  if (++sent % (rate * 10) === 0) process.stdout.write(`${sent} events sent\n`);
}, 1000 / rate);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    clearInterval(timer);
    pub.close();
    process.stdout.write(`${sent} events sent\n`);
  });
}
