/**
 * `stats-server simulate` as a user runs it: the real executable binds a PUB socket; a real SUB
 * socket receives what it sends. Checks that every message is an event this service decodes and
 * counts, and (on a clock the test moves) that the simulator keeps the advertised rate.
 */
import assert from "node:assert/strict";
import { after, mock, test } from "node:test";
import { Subscriber } from "zeromq";
import { startSimulator } from "../../src/commands/simulate.js";
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
  // The rate itself is checked on a clock the test moves (below): here the wall clock of a busy
  // machine decides it, so it is only printed.
  assert.equal(undecodable, 0, "every message decodes as an event of a tracked type");
  assert.ok(received > 0 && received <= summary.sent, "received no more than it says it sent");
  const uniqueShare = kinds.unique / kinds.pageview;
  assert.ok(uniqueShare > 0.06 && uniqueShare < 0.14, `unique share ${uniqueShare.toFixed(3)} near 10%`);
  assert.ok(kinds.order > 0 && statuses.has("cart") && statuses.has("checkout"), "orders move through statuses");
  assert.ok(accounts.size >= 4, `traffic over the accounts (${[...accounts].join(",")})`);
});

test("the simulator sends rate x elapsed events on its clock, a fraction carried to the next tick", async () => {
  let clock = 0;
  const rate = 400;
  mock.timers.enable({ apis: ["setTimeout"] });
  const sim = await startSimulator({
    endpoint: "tcp://127.0.0.1:*",
    rate,
    rhythm: false,
    accounts: 5,
    clock: () => clock,
  });
  try {
    /** Moves the clock to `at` ms, lets the simulator's tick run, and waits until it has sent what was due. */
    const at = async (ms: number, due: number) => {
      clock = ms;
      mock.timers.tick(10);
      while (sim.sent < due) await new Promise((r) => setImmediate(r));
      return sim.sent;
    };
    assert.equal(sim.sent, 0);
    assert.equal(await at(1_000, 400), 400, "one second: the rate");
    assert.equal(await at(1_001, 400), 400, "0.4 of an event is owed, not sent");
    assert.equal(await at(1_003, 401), 401, "1.2 owed: one sent, 0.2 carried");
    assert.equal(await at(3_500, 1_400), 1_400, "3.5 s: 3.5 x the rate");
    sim.stop();
    await sim.done;
    assert.equal(sim.sent, 1_400, "and not one more");
  } finally {
    sim.stop();
    await sim.done;
    mock.timers.reset();
  }
});

test("simulate refuses a bad flag with exit 2 and a one-line reason", async () => {
  const { code, stderr } = await runCli(["simulate", "--rate", "fast"]).result;
  assert.equal(code, 2);
  assert.match(stderr, /--rate must be a positive number, got "fast"/);
});
