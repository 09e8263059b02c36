/**
 * With introspection off, no error may hint at the schema: graphql-js ends many messages with a
 * suggestion — `Did you mean "accounts"?` (a field), `Did you mean the enum value "HOUR"?` (an
 * enum, as a literal or in a variable), `Did you mean "to"?` (an argument or input field) — and
 * a client could rebuild the schema from them. GraphQL Armor's block-field-suggestions masks only
 * the first shape, and only in validation errors; this removes every `Did you mean …?` from
 * validation errors, and from execution and subscription results, where the errors of variables
 * that do not coerce appear.
 */
import { type ExecutionResult, GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

const SUGGESTION = / ?Did you mean [^?]*\?/g;

/** The message without its suggestions (the same error when it had none). */
export function withoutSuggestion<E extends Error>(error: E): E | GraphQLError {
  if (!error.message.includes("Did you mean")) return error;
  const message = error.message.replace(SUGGESTION, "").trim();
  if (!(error instanceof GraphQLError)) return new GraphQLError(message);
  return new GraphQLError(message, {
    nodes: error.nodes ?? null,
    source: error.source ?? null,
    positions: error.positions ?? null,
    path: error.path ?? null,
    originalError: error.originalError ?? null,
    extensions: error.extensions,
  });
}

function cleanResult(result: ExecutionResult): ExecutionResult | undefined {
  if (!result.errors?.some((e) => e.message.includes("Did you mean"))) return undefined;
  return { ...result, errors: result.errors.map(withoutSuggestion) };
}

export function useHiddenSuggestions(): Plugin {
  return {
    onValidate: () =>
      function onValidateEnd({ valid, result, setResult }) {
        if (!valid) setResult(result.map(withoutSuggestion));
      },
    onExecute: () => ({
      onExecuteDone({ result, setResult }) {
        // A stream's results are live data, not errors of the request: only a single result is looked at.
        if (Symbol.asyncIterator in result) return;
        const clean = cleanResult(result);
        if (clean) setResult(clean);
      },
    }),
    onSubscribe: () => ({
      onSubscribeResult({ result, setResult }) {
        if (Symbol.asyncIterator in result) return;
        const clean = cleanResult(result);
        if (clean) setResult(clean);
      },
    }),
  };
}
