/**
 * The operation cost limit: GraphQL Armor's formula (object field 2, scalar 1, each level ×1.5,
 * fragments once), checked as a validation rule, with one difference: Armor multiplies a field's
 * whole subtree by a literal `first`/`last` argument, which made `series(last: 1500)` cost 1500 ×
 * its from/to/total too, and `last: $n` nothing. Here a series' points are charged by its resolver
 * once the window is known (variables included; src/graphql/schema/cost.ts), on top of the static
 * cost kept per operation for it.
 */
import { GraphQLError, type OperationDefinitionNode, type ValidationContext } from "graphql";
import type { Plugin } from "graphql-yoga";
import { costOf } from "../schema/cost.js";

/** Refuses an operation whose static cost is over `maxCost` (a validation error, BAD_USER_INPUT). */
export function useCostLimit(maxCost: number): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule((ctx: ValidationContext) => ({
        OperationDefinition(operation: OperationDefinitionNode) {
          const cost = costOf((name) => ctx.getFragment(name) ?? undefined, operation);
          if (cost > maxCost) {
            ctx.reportError(
              new GraphQLError(`Query Cost limit of ${maxCost} exceeded, found ${cost}.`, {
                extensions: { code: "BAD_USER_INPUT" },
              }),
            );
          }
        },
      }));
    },
  };
}
