/**
 * A stand-in for the event collector as a separate OS process (so a test can SIGKILL or SIGSTOP
 * it): binds an XPUB on `argv[2]` (send high-water mark `argv[3]`, default 1000) and publishes
 * pageviews carrying a sequence number `data.seq`.
 *
 * An XPUB rather than a PUB so that it sees each subscription arrive: a test knows exactly when
 * the consumer is connected and subscribed, and from then on every event sent is deliverable.
 *
 * stdin, one JSON command a line:
 *   {"cmd":"stream","accounts":["a","b"],"rate":5000,"count":1000}  count omitted = until "stop"
 *   {"cmd":"stop"}                                                   ends the current stream
 * stdout, one JSON report a line:
 *   {"ev":"bound","at":<epoch ms>}
 *   {"ev":"subscribed","at":<epoch ms>}      every subscription message (XPUB verbose)
 *   {"ev":"progress","sent":<n>}             every 100 ms while streaming
 *   {"ev":"done","sent":<n>,"firstSeq":<s>,"byAccount":{...}}   when a stream ends
 */
import { createInterface } from "node:readline";
import { XPublisher } from "zeromq";

interface StreamCommand {
  cmd: "stream";
  accounts: string[];
  rate: number;
  count?: number;
}
type Command = StreamCommand | { cmd: "stop" };

const endpoint = process.argv[2];
if (!endpoint) throw new Error("usage: publisher-process.ts <endpoint> [send high-water mark]");
const sendHighWaterMark = Number(process.argv[3] ?? 1000);

const report = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

// A PUB drops what it cannot queue past its send high-water mark. libzmq's default (1000) is what a
// collector would have; a test that must not lose events to a CPU-starved publisher raises it.
const pub = new XPublisher({ sendHighWaterMark, linger: 0 });
pub.verbosity = "allSubs";
await pub.bind(endpoint);
report({ ev: "bound", at: Date.now() });

void (async () => {
  for await (const [frame] of pub) {
    if (frame?.[0] === 1) report({ ev: "subscribed", at: Date.now() });
  }
})().catch(() => {});

let seq = 0;
let stopRequested = false;
let streaming: Promise<void> = Promise.resolve();

async function stream(cmd: StreamCommand): Promise<void> {
  const firstSeq = seq;
  const byAccount: Record<string, number> = {};
  const limit = cmd.count ?? Number.POSITIVE_INFINITY;
  const started = performance.now();
  let sent = 0;
  let lastProgress = started;
  stopRequested = false;
  while (sent < limit && !stopRequested) {
    // Paced by the clock: however late this loop runs, it catches up to `rate` per second.
    const due = Math.min(limit, Math.floor(((performance.now() - started) / 1000) * cmd.rate) + 1);
    while (sent < due) {
      const account = cmd.accounts[seq % cmd.accounts.length] as string;
      await pub.send(`pageview ${JSON.stringify({ type: "pageview", data: { account, seq } })}`);
      byAccount[account] = (byAccount[account] ?? 0) + 1;
      seq++;
      sent++;
    }
    const now = performance.now();
    if (now - lastProgress >= 100) {
      report({ ev: "progress", sent });
      lastProgress = now;
    }
    if (sent < limit) await new Promise((r) => setTimeout(r, 1));
  }
  report({ ev: "done", sent, firstSeq, byAccount });
}

for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line) as Command;
  if (cmd.cmd === "stop") stopRequested = true;
  else streaming = streaming.then(() => stream(cmd));
}
// stdin closed: the parent is gone.
pub.close();
