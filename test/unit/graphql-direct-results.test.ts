/**
 * Live results written straight from their channel (graphql-ws and SSE) skip envelop's
 * per-result map. That is only right while the one per-result hook among the server's plugins
 * is error masking, and the transports mask the same way: both are checked here, against the
 * plugins the real Yoga is built with. A plugin that adds a per-result hook fails this test
 * until the direct writers apply it too.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ExecutionResult, GraphQLError, parse } from "graphql";
import type { Plugin } from "graphql-yoga";
import { pino } from "pino";
import type { GraphqlLimits } from "../../src/config.js";
import { createResultEncoder } from "../../src/graphql/transport/result-encoding.js";
import { createStatsYoga } from "../../src/graphql/yoga.js";
import { testConfig } from "../helpers/service.js";

type OnNext = (payload: { args: unknown; result: ExecutionResult; setResult(r: ExecutionResult): void }) => void;

function build() {
  const lines: string[] = [];
  const log = pino({ level: "error" }, { write: (line: string) => lines.push(line) });
  const limits: GraphqlLimits = testConfig().graphql;
  const results = createResultEncoder(log);
  const yoga = createStatsYoga({
    store: {} as never,
    live: {} as never,
    log,
    limits,
    transportPlugins: [],
    series: {} as never,
    liveSeries: {} as never,
    liveTop: {} as never,
    results,
  });
  return { yoga, lines, results };
}

/** Every per-result (`onNext`) hook the server's plugins put on a subscription's results. */
function perResultHooks(yoga: ReturnType<typeof build>["yoga"]): OnNext[] {
  const plugins = (yoga as unknown as { plugins: Plugin[] }).plugins;
  const args = {
    schema: yoga.getEnveloped({}).schema,
    document: parse("subscription { increments { count } }"),
    contextValue: {},
  };
  const source = { async *[Symbol.asyncIterator]() {} };
  const hooks: OnNext[] = [];
  for (const plugin of plugins) {
    const onSubscribe = plugin.onSubscribe as ((payload: unknown) => unknown) | undefined;
    if (!onSubscribe) continue;
    const after = onSubscribe({
      args,
      subscribeFn: () => source,
      setSubscribeFn() {},
      extendContext() {},
      setResultAndStopExecution() {},
    }) as { onSubscribeResult?: (payload: unknown) => { onNext?: OnNext } | undefined } | undefined;
    const onNext = after?.onSubscribeResult?.({ args, result: source, setResult() {} })?.onNext;
    if (onNext) hooks.push(onNext);
  }
  return hooks;
}

const internal = () => new GraphQLError("boom", { originalError: new Error("secret: the Redis password is hunter2") });
const userError = () => new GraphQLError("account must not be empty", { extensions: { code: "BAD_USER_INPUT" } });

describe("live results written without envelop's per-result map", () => {
  it("the only per-result hook on subscriptions is error masking, and the direct writers mask the same way", () => {
    const { yoga, results } = build();
    const hooks = perResultHooks(yoga);
    assert.equal(hooks.length, 1, "one per-result hook: error masking");
    const result: ExecutionResult = { data: { increments: null }, errors: [internal(), userError()] };
    let byEnvelop: ExecutionResult = result;
    hooks[0]?.({ args: {}, result, setResult: (r) => (byEnvelop = r) });
    const direct = results.mask(result);
    const json = (r: ExecutionResult) =>
      JSON.parse(JSON.stringify({ ...r, errors: r.errors?.map((e: GraphQLError) => e.toJSON()) }));
    assert.deepEqual(json(direct), json(byEnvelop));
    assert.deepEqual(
      direct.errors?.map((e) => e.message),
      ["Unexpected error.", "account must not be empty"],
    );
    assert.equal(JSON.stringify(direct).includes("hunter2"), false);
  });

  it("logs what it hid, leaves a result without errors as it is, and masking twice changes nothing", () => {
    const { results, lines } = build();
    const { mask } = results;
    const clean: ExecutionResult = { data: { stats: { total: 1 } } };
    assert.equal(mask(clean), clean);
    const once = mask({ data: null, errors: [internal()] });
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? "", /GraphQL operation failed unexpectedly/);
    assert.match(lines[0] ?? "", /hunter2/, "the log keeps the original error");
    assert.deepEqual(mask(once).errors, once.errors);
    assert.equal(lines.length, 1, "nothing more to log");
  });
});
