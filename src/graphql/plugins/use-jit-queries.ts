/**
 * Queries run compiled (graphql-jit, through envelop's plugin): a document is compiled once into
 * a function that resolves its fields and serialises its result, and every later request with
 * the same document (Yoga's parse cache hands back the same DocumentNode) runs that function —
 * the executed path's largest cost after the HTTP round trip was graphql-js walking the 30
 * segments of a month field by field. Subscriptions stay on graphql-js, where the shared
 * execution plugin (use-shared-execution.ts) runs each event once per distinct operation.
 *
 * Compiled and interpreted execution give the same data and errors; masking and the limits
 * are other plugins and apply either way. Variables that do not coerce are the exception
 * (graphql-jit answers them as a 200 with errors), so those requests run interpreted.
 */
import { useGraphQlJit } from "@envelop/graphql-jit";
import { getOperationAST, getVariableValues } from "graphql";

export function useJitQueries(onError: (error: unknown) => void): ReturnType<typeof useGraphQlJit> {
  return useGraphQlJit(
    {},
    {
      enableIf(args) {
        const operation = getOperationAST(args.document, args.operationName);
        if (operation?.operation !== "query") return false;
        // graphql-jit reports variables that do not coerce as a result with errors (200); run
        // interpreted, graphql-js gives Yoga the request error (400) GraphQL over HTTP asks for.
        const variables = operation.variableDefinitions ?? [];
        if (variables.length === 0) return true;
        return getVariableValues(args.schema, variables, args.variableValues ?? {}).errors === undefined;
      },
      onError: (result) => onError(result.errors),
      // A compiled query is kept as long as Yoga's parse cache keeps its DocumentNode (a WeakMap).
    },
  );
}
