/**
 * What an operation may ask for, checked before anything runs — by envelop plugins, so HTTP
 * (Yoga) and graphql-ws (getEnveloped) apply the same ones:
 * - depth, aliases, tokens and cost: GraphQL Armor (tokens while parsing, the rest as
 *   validation rules, so an answer is never computed for an operation over a limit);
 * - introspection off: graphql-js's own rule, and the "Did you mean …?" hints that would let a
 *   client rebuild the schema anyway are removed — fields, arguments and enum values, in
 *   literals and in variables (use-hidden-suggestions.ts);
 * - CSRF (with --csrf-prevention): a GET or form POST needs a header a browser cannot add
 *   without a CORS preflight, or a valid API token (use-csrf-prevention.ts).
 *
 * Limit errors are validation errors with `extensions.code` BAD_USER_INPUT, saying which limit
 * and what was found.
 */
import { EnvelopArmor } from "@escape.tech/graphql-armor";
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationContext } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { GraphqlLimits } from "../../config.js";
import { useCostLimit } from "./use-cost-limit.js";
import { useCsrfPrevention } from "./use-csrf-prevention.js";
import { useHiddenSuggestions } from "./use-hidden-suggestions.js";

/** A rejected limit as a validation error: the message without Armor's misleading "Syntax Error:" prefix. */
function report(ctx: ValidationContext | null, error: GraphQLError): void {
  ctx?.reportError(
    new GraphQLError(error.message.replace(/^Syntax Error: /, ""), { extensions: { code: "BAD_USER_INPUT" } }),
  );
}

type ArmorPlugin = ReturnType<EnvelopArmor["protect"]>["plugins"][number];

export function limitPlugins(limits: GraphqlLimits): Array<Plugin | ArmorPlugin> {
  // Reported as validation errors, never thrown: a throw out of validate() would be an
  // unexpected error (masked over HTTP, closing the socket over graphql-ws).
  const rule = () => ({ onReject: [report], propagateOnRejection: false, exposeLimits: true });
  const armor = new EnvelopArmor({
    maxDepth: { n: limits.maxDepth, ...rule() },
    maxAliases: { n: limits.maxAliases, ...rule() },
    // Ours (plugins/use-cost-limit.ts): the same formula, with series points charged by what they return.
    costLimit: { enabled: false },
    maxDirectives: { n: 50, ...rule() },
    // Counted by the lexer, so parsing stops at the limit: it must throw, and Yoga and ws.ts
    // turn the error into a GraphQLError response.
    maxTokens: {
      n: limits.maxTokens,
      onReject: [],
      propagateOnRejection: true,
      exposeLimits: true,
    },
    // Ours instead (use-hidden-suggestions.ts): Armor's misses enum and argument hints, and variables.
    blockFieldSuggestion: { enabled: false },
  });
  const plugins: Array<Plugin | ArmorPlugin> = limits.csrfPrevention ? [useCsrfPrevention()] : [];
  plugins.push(...armor.protect().plugins, useCostLimit(limits.maxCost));
  if (!limits.introspection) {
    const noIntrospection: Plugin = {
      onValidate({ addValidationRule }) {
        addValidationRule(NoSchemaIntrospectionCustomRule);
      },
    };
    plugins.push(noIntrospection, useHiddenSuggestions());
  }
  return plugins;
}
