/**
 * `stats-server simulate` as a user runs it: the real executable binds a PUB socket; a real SUB
 * socket receives what it sends. Checks the advertised rate and that every message is an event
 * this service decodes and counts.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Subscriber } from "zeromq";
import { decodeFrames } from "../../src/ingest/decode.js";
import { runCli } from "../helpers/cli.js";
import { freePort } from "../helpers/ports.js";

const subs: Subscriber[] = [];
after(() => {
  for (const s of subs) s.close();
});

test("simulate sends the advertised rate of well-formed events", async () => {
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  const rate = 400;
  const run = runCli(["simulate", "--bind", endpoint, "--rate", String(rate), "--rhythm=false", "--duration", "6s"]);
  const sub = new Subscriber({ linger: 0 });
  subs.push(sub);
  sub.connect(endpoint); // retries until the simulator has bound
  sub.subscribe();

  const times: number[] = [];
  const kinds = { pageview: 0, unique: 0, order: 0 };
  const statuses = new Set<string>();
  const accounts = new Set<string>();
  let undecodable = 0;
  const receiving = (async () => {
    for await (const frames of sub) {
      times.push(performance.now());
      const decoded = decodeFrames(frames);
      if (!decoded.ok) {
        undecodable++;
        continue;
      }
      const ev = decoded.event;
      accounts.add(ev.account);
      if (ev.type === "pageview") {
        kinds.pageview++;
        if (ev.unique) kinds.unique++;
      } else if (ev.type === "order") {
        kinds.order++;
        statuses.add(ev.status);
      } else undecodable++;
    }
  })().catch(() => {});

  const { code, stdout } = await run.result;
  sub.close();
  await receiving;
  assert.equal(code, 0);
  const summary = JSON.parse(stdout.trim().split("\n").at(-1) as string) as { sent: number; seconds: number };
  const received = times.length;
  // Measured over the receive window, so the subscriber's late join does not count against it.
  const seconds = ((times.at(-1) as number) - (times[0] as number)) / 1000;
  const measured = (received - 1) / seconds;
  console.log(
    `simulate: advertised ${rate}/s, received ${received} of ${summary.sent} sent over ${seconds.toFixed(2)} s = ${measured.toFixed(1)}/s (${((measured / rate) * 100).toFixed(1)}%); pageviews ${kinds.pageview} (unique ${kinds.unique}), orders ${kinds.order} ${[...statuses].sort().join(",")}`,
  );
  assert.equal(undecodable, 0, "every message decodes as an event of a tracked type");
  assert.ok(seconds > 3, `received for ${seconds} s`);
  assert.ok(Math.abs(measured / rate - 1) < 0.15, `rate ${measured.toFixed(1)}/s is within 15% of ${rate}/s`);
  assert.ok(received <= summary.sent, "received no more than it says it sent");
  const uniqueShare = kinds.unique / kinds.pageview;
  assert.ok(uniqueShare > 0.06 && uniqueShare < 0.14, `unique share ${uniqueShare.toFixed(3)} near 10%`);
  assert.ok(kinds.order > 0 && statuses.has("cart") && statuses.has("checkout"), "orders move through statuses");
  assert.ok(accounts.size >= 4, `traffic over the accounts (${[...accounts].join(",")})`);
});

test("simulate refuses a bad flag with exit 2 and a one-line reason", async () => {
  const { code, stderr } = await runCli(["simulate", "--rate", "fast"]).result;
  assert.equal(code, 2);
  assert.match(stderr, /--rate must be a positive number, got "fast"/);
});
