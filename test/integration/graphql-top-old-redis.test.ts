/**
 * `top` on a Redis without ZUNION (older than 6.2, played by a real redis-server with the command
 * renamed away): the query and the subscription answer REDIS_TOO_OLD with what they need, over
 * HTTP, graphql-ws and SSE, instead of the masked "Unexpected error."; every other API works.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Service } from "../../src/commands/serve.js";
import { LiveTopDocument, SeriesDocument, TopDocument } from "../gql/graphql.js";
import { query, subscribeSse, subscribeWs } from "../helpers/graphql.js";
import { eventually } from "../helpers/ports.js";
import { type ServiceRig, startServiceRig } from "../helpers/service.js";
import { pageview, type TestPublisher } from "../helpers/zmq.js";

describe("top on a Redis without ZUNION", () => {
  let rig: ServiceRig;
  let pub: TestPublisher;
  let service: Service;

  before(async () => {
    rig = await startServiceRig([], { args: ["--rename-command", "ZUNION", ""] });
    ({ pub, service } = rig);
  });
  after(() => rig?.stop());

  const vars = { event: "pageview", granularity: "HOUR" as const, last: 2 };
  const tooOld = (errors: readonly { message: string; extensions?: Record<string, unknown> }[] | undefined) => {
    assert.equal(errors?.length, 1, JSON.stringify(errors));
    assert.equal(errors?.[0]?.extensions?.["code"], "REDIS_TOO_OLD");
    assert.match(errors?.[0]?.message ?? "", /top needs Redis 6\.2 or later \(ZUNION\)/);
  };

  it("the query answers REDIS_TOO_OLD, and series still answers", async () => {
    const top = await query(service.url, TopDocument, vars);
    assert.equal(top.status, 200);
    tooOld(top.body.errors);

    const series = await query(service.url, SeriesDocument, {
      account: "acme",
      event: "pageview",
      granularity: "HOUR",
      last: 2,
    });
    assert.equal(series.body.errors, undefined, JSON.stringify(series.body.errors));
    assert.equal(series.body.data?.series.points.length, 2);
  });

  it("the subscription answers REDIS_TOO_OLD over graphql-ws and SSE", async () => {
    for (const sub of [
      subscribeWs(service.url, LiveTopDocument, vars),
      subscribeSse(service.url, LiveTopDocument, vars),
    ]) {
      try {
        tooOld((await sub.next(10_000)).errors);
        await sub.done;
      } finally {
        await sub.close();
      }
    }
  });

  it("ingest still counts (the flush script needs no ZUNION)", async () => {
    await pub.send(pageview("acme"));
    const series = async () =>
      (await query(service.url, SeriesDocument, { account: "acme", event: "pageview", granularity: "HOUR", last: 1 }))
        .body.data?.series.total;
    await eventually(async () => (await series()) === 1, "the event counted");
  });
});
