/**
 * Subscriptions execute each event once per distinct operation, not once per subscriber.
 *
 * graphql-js maps every event of every subscription through `execute` on its own, so N clients
 * watching one period cost N executions per flush. The live feed hands all of them the same
 * payload object, so the result of executing (document, operation, variables) against that
 * payload can be shared: the first subscriber computes it, the others reuse it, and the whole
 * memo goes away with the payload (a WeakMap keyed by it).
 *
 * This relies on subscription fields resolving from the payload alone, never from the context
 * (true of Stats, Funnel and Increment); access checks belong in `subscribe`, which still runs
 * per subscriber. Envelop's other hooks (error masking included) see every result that goes
 * through the iterator chain.
 *
 * A transport can also write these results to its client without the per-subscriber iterator
 * chain (envelop's error masking map, graphql-ws's or the SSE loop's `for await`): the operation's
 * context carries its channel (`GraphqlContext.liveResults`), from which the transport takes each
 * result by callback (Channel.take) and encodes it once per shared result, masking included
 * (transport/result-encoding.ts). The end of the stream (done, or an error) still goes through
 * the chain.
 */
import { createSourceEventStream, type DocumentNode, type ExecutionResult, execute } from "graphql";
import { isAsyncIterable, mapAsyncIterator, type Plugin } from "graphql-yoga";
import type { Channel, MappedChannel } from "../../live/channel.js";
import type { GraphqlContext } from "../context.js";

type Result = ExecutionResult | Promise<ExecutionResult>;

export function useSharedSubscriptionExecution(): Plugin {
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  const memo = new WeakMap<object, Map<string, Result>>();

  const documentId = (doc: DocumentNode) => {
    let id = documentIds.get(doc);
    if (id === undefined) {
      id = nextDocumentId++;
      documentIds.set(doc, id);
    }
    return id;
  };

  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (args) => {
        const source = await createSourceEventStream(args);
        if (!isAsyncIterable(source)) return source;
        // Parsed documents are cached by Yoga, so the same query text is the same DocumentNode.
        const key = `${documentId(args.document)}\0${args.operationName ?? ""}\0${JSON.stringify(args.variableValues ?? {})}`;
        const map = (payload: unknown): Result => {
          if (typeof payload !== "object" || payload === null) return execute({ ...args, rootValue: payload });
          let results = memo.get(payload);
          if (!results) {
            results = new Map();
            memo.set(payload, results);
          }
          let result = results.get(key);
          if (!result) {
            result = execute({ ...args, rootValue: payload });
            results.set(key, result);
          }
          return result;
        };
        // The live feed's channels (every subscription field's source today) map as they hand a value
        // over, with no promise per message for the mapping; any other source goes through Yoga's map.
        const channel = source as Partial<Channel<unknown>>;
        if (typeof channel.mapped !== "function") return mapAsyncIterator(source, map);
        const results = channel.mapped(map);
        // Handed to the transport in the operation's context (GraphqlContext.liveResults).
        if (typeof args.contextValue === "object" && args.contextValue !== null)
          (args.contextValue as Partial<GraphqlContext>).liveResults = results as MappedChannel<ExecutionResult>;
        return results;
      });
    },
  };
}
