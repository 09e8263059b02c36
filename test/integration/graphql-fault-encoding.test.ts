/**
 * One fault, one answer, one log line, whichever transport asked: a store read that fails for
 * one account (the backend rejects it, as a Redis error would) reaches a query over HTTP, and
 * live subscriptions over graphql-ws and SSE, as the same masked error object — no internals, no
 * `unexpected` — and the server logs it once per operation, with the original error.
 *
 * In-process, so the log can be read: the memory store behind the real GraphQL mount on a real
 * HTTP server, real clients.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { loadTokenTable } from "../../src/auth/load.js";
import { createGraphqlMount } from "../../src/graphql/mount.js";
import { type App, buildApp } from "../../src/http/app.js";
import { createMemoryBudget } from "../../src/http/memory-budget.js";
import { createLiveFeed } from "../../src/live/feed.js";
import { createLiveBus, type LiveBus } from "../../src/live/pubsub.js";
import { createMetrics } from "../../src/metrics.js";
import { createKeySpace } from "../../src/store/keys.js";
import { createMemoryBackend } from "../../src/store/memory-backend.js";
import { createStatsStore } from "../../src/store/stats-store.js";
import { LiveStatsDocument, StatsDocument } from "../gql/graphql.js";
import { query, subscribeSse, subscribeWs } from "../helpers/graphql.js";
import { testConfig } from "../helpers/service.js";

describe("a resolver fault: the same error by HTTP, SSE and graphql-ws, logged once", () => {
  let app: App;
  let url: string;
  let bus: LiveBus;
  let close: () => Promise<void>;
  const lines: Array<{ level: number; msg: string; err?: { message?: string } }> = [];

  before(async () => {
    const config = testConfig();
    const log = pino({ level: "warn" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const memory = createMemoryBackend();
    const backend = {
      ...memory,
      // The fault: reading account "broken" fails, as a Redis error would.
      hgetallMany: (keys: readonly string[]) =>
        keys.some((k) => k.includes(":broken:"))
          ? Promise.reject(new Error("secret internals: the disk is on fire"))
          : memory.hgetallMany(keys),
    };
    const store = createStatsStore(backend, createKeySpace(""), { minuteRetentionSeconds: 3600 });
    bus = createLiveBus({ pubsub: "memory", redis: "", redisCluster: [], keyPrefix: "" }, log);
    const feed = createLiveFeed(bus, store, log);
    const metrics = createMetrics({ defaultMetrics: false });
    const deps = { limits: config.graphql, store, metrics, log, tokens: await loadTokenTable(config) };
    const budget = createMemoryBudget({ limitBytes: config.maxMemoryBytes });
    const mount = createGraphqlMount({ ...deps, minuteRetentionSeconds: 3600, memory: budget }, feed);
    app = buildApp({ store, metrics, log, mounts: [mount] });
    ({ url } = await app.start(0, "127.0.0.1"));
    close = async () => {
      await mount.close?.();
      await app.stop();
    };
  });
  after(() => close());

  it("HTTP, SSE and graphql-ws: one error object, and one log line each", async () => {
    const variables = { account: "broken", event: "pageview", year: 2026, month: 11 };
    const http = await query(url, StatsDocument, variables);
    const ws = subscribeWs(url, LiveStatsDocument, variables);
    const sse = subscribeSse(url, LiveStatsDocument, variables);
    try {
      const [byWs, bySse] = await Promise.all([ws.next(), sse.next()]);
      const errors = {
        http: http.body.errors,
        ws: byWs.errors,
        sse: bySse.errors,
      };
      const expected = [{ message: "Unexpected error.", extensions: { code: "INTERNAL_SERVER_ERROR" } }];
      for (const [transport, list] of Object.entries(errors)) {
        assert.deepEqual(
          list?.map((e) => ({ message: e.message, extensions: e.extensions })),
          expected,
          `${transport}: the masked error, nothing more`,
        );
      }
      assert.deepEqual(
        errors.ws,
        errors.sse,
        "the subscriptions' error objects are equal, path and locations included",
      );
      for (const [transport, list] of Object.entries(errors))
        assert.equal(JSON.stringify(list).includes("fire"), false, `${transport}: no internals`);
    } finally {
      await ws.close();
      await sse.close();
    }
    const faults = lines.filter((l) => l.level >= 50);
    assert.deepEqual(
      faults.map((l) => [l.msg, l.err?.message]),
      Array.from({ length: 3 }, () => [
        "GraphQL operation failed unexpectedly",
        "secret internals: the disk is on fire",
      ]),
      "one line per operation that met the fault, with the original error",
    );
  });
});

describe("the door for operations (admitOperation) over SSE and graphql-ws", () => {
  it("a refused subscription: its error as the one event, then complete, and nothing left on the feed", async () => {
    // No operation may run at all (the flag's floor is 1; only here, in-process, is it 0).
    const config = testConfig();
    const log = pino({ level: "silent" });
    const store = createStatsStore(createMemoryBackend(), createKeySpace(""), { minuteRetentionSeconds: 3600 });
    const bus = createLiveBus({ pubsub: "memory", redis: "", redisCluster: [], keyPrefix: "" }, log);
    const feed = createLiveFeed(bus, store, log);
    const metrics = createMetrics({ defaultMetrics: false });
    const limits = { ...config.graphql, maxWsOperations: 0 };
    const tokens = await loadTokenTable(config);
    const memory = createMemoryBudget({ limitBytes: config.maxMemoryBytes });
    const mount = createGraphqlMount(
      { limits, store, metrics, log, tokens, minuteRetentionSeconds: 3600, memory },
      feed,
    );
    const app = buildApp({ store, metrics, log, mounts: [mount] });
    const { url } = await app.start(0, "127.0.0.1");
    try {
      const variables = { account: "acme", event: "pageview", year: 2026, month: 11 };
      const message = "too many operations on this connection: at most 0 may run at once";
      for (const subscribe of [subscribeSse, subscribeWs]) {
        const sub = subscribe(url, LiveStatsDocument, variables);
        try {
          await sub.done;
          assert.deepEqual(
            sub.received.map((r) => r.errors?.map((e) => [e.message, e.extensions?.["code"]])),
            [[[message, "BAD_USER_INPUT"]]],
          );
        } finally {
          await sub.close();
        }
      }
      assert.equal(feed.subscribers, 0, "nothing stays subscribed");
    } finally {
      await mount.close?.();
      await app.stop();
    }
  });
});
