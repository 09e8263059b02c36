/**
 * The ceiling (child process): a bare Node SUB loop that only receives and JSON.parses the stream,
 * as the service's first step does. Reports { type: "received", n, at } once `--count` arrived, or
 * what it had when the stream went quiet for `--idle-ms`.
 */
import { parseArgs } from "node:util";
import { Subscriber } from "zeromq";

const { values } = parseArgs({
  options: {
    endpoint: { type: "string" },
    count: { type: "string", default: "500000" },
    "idle-ms": { type: "string", default: "3000" },
  },
});
const count = Number(values.count);
const idleMs = Number(values["idle-ms"]);
const sub = new Subscriber({ receiveHighWaterMark: 100_000 });
sub.subscribe("");
sub.connect(values.endpoint as string);

let n = 0;
let parsed = 0;
let last = Date.now();
const report = () => {
  process.send?.({ type: "received", n, parsed, at: last });
  sub.close();
};
const idle = setInterval(() => {
  if (n > 0 && Date.now() - last > idleMs) {
    clearInterval(idle);
    report();
  }
}, 100);

for await (const [frame] of sub) {
  const f = frame as Buffer;
  const doc = JSON.parse(f.toString("utf8", f.indexOf(0x20) + 1)) as { type?: string };
  if (doc.type) parsed++;
  n++;
  last = Date.now();
  if (n === count) {
    clearInterval(idle);
    report();
    break;
  }
}
process.exit(0);
