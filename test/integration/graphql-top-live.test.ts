/**
 * The live ranking (docs/contract.md §9) over real graphql-ws and SSE clients, a real Redis and a real
 * ZeroMQ socket: `top(last: 2, granularity: MINUTE)` sends the current ranking first, a new one
 * after flushes that changed it — here its leader changes — and slides at the minute boundary.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { LiveTopDocument, type LiveTopSubscription } from "../gql/graphql.js";
import { type Result, type Subscription, subscribeSse, subscribeWs } from "../helpers/graphql.js";
import { type ServiceRig, startServiceRig } from "../helpers/service.js";
import { pageview, type TestPublisher } from "../helpers/zmq.js";

const MINUTE = 60_000;

type Top = LiveTopSubscription["top"];

/** Takes messages until one satisfies `ok`; returns it. */
async function until(sub: Subscription<LiveTopSubscription>, ok: (t: Top) => boolean, withinMs: number): Promise<Top> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const m: Result<LiveTopSubscription> = await sub.next(Math.max(1, deadline - Date.now()));
    assert.equal(m.errors, undefined, JSON.stringify(m.errors));
    const t = m.data?.top;
    assert.ok(t);
    if (ok(t)) return t;
  }
}

describe("live top over graphql-ws and SSE", () => {
  let pub: TestPublisher;
  let service: Service;
  let rig: ServiceRig;

  before(async () => {
    rig = await startServiceRig();
    ({ pub, service } = rig);
  });
  after(() => rig.stop());

  it("top(last: 2, MINUTE): the ranking first, a new one when the leader changes, then the slide", async () => {
    const vars = { event: "pageview", granularity: "MINUTE" as const, last: 2, first: 3 };
    const subs = {
      "graphql-ws": subscribeWs(service.url, LiveTopDocument, vars),
      SSE: subscribeSse(service.url, LiveTopDocument, vars),
    };
    try {
      for (const [name, sub] of Object.entries(subs)) {
        const first = await sub.next(10_000);
        assert.equal(first.errors, undefined, JSON.stringify(first.errors));
        assert.deepEqual(first.data?.top.accounts, [], name);
        assert.equal(first.data?.top.total, 0, name);
      }

      for (let i = 0; i < 2; i++) await pub.send(pageview("alpha"));
      for (const [name, sub] of Object.entries(subs)) {
        const t = await until(sub, (x) => x.total === 2, 15_000);
        assert.deepEqual(t.accounts, [{ account: "alpha", count: 2 }], name);
        assert.equal(t.accountCount, 1);
        assert.equal(t.others, 0);
      }

      // bravo overtakes alpha; the rollup's own event counts in the total, in `others`.
      for (let i = 0; i < 3; i++) await pub.send(pageview("bravo"));
      await pub.send(pageview("all"));
      for (const [name, sub] of Object.entries(subs)) {
        const t = await until(sub, (x) => x.total === 6, 15_000);
        assert.deepEqual(
          t.accounts,
          [
            { account: "bravo", count: 3 },
            { account: "alpha", count: 2 },
          ],
          `${name}: the new leader`,
        );
        assert.equal(t.accountCount, 2);
        assert.equal(t.others, 1);
      }

      // The window slides at the minute boundary, even with no event.
      for (const [name, sub] of Object.entries(subs)) {
        const last = sub.received[sub.received.length - 1]?.data?.top;
        assert.ok(last);
        const slid = await until(sub, (x) => x.from !== last.from, MINUTE + 15_000);
        assert.equal(Date.parse(slid.from), Date.parse(last.from) + MINUTE, `${name}: one minute later`);
      }
    } finally {
      await Promise.all(Object.values(subs).map((s) => s.close()));
    }
  });
});
