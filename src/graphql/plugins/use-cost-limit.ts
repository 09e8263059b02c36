/**
 * The operation cost limit: GraphQL Armor's formula (object field 2, scalar 1, each level ×1.5,
 * fragments once), checked as a validation rule, with one difference: Armor multiplies a field's
 * whole subtree by a literal `first`/`last` argument, which made `series(last: 1500)` cost 1500 ×
 * its from/to/total too, and `last: $n` nothing. Here a series' points are charged by its resolver
 * once the window is known (variables included; src/graphql/series-cost.ts), on top of the static
 * cost kept per operation for it.
 */
import { type ASTNode, GraphQLError, Kind, type OperationDefinitionNode, type ValidationContext } from "graphql";
import type { Plugin } from "graphql-yoga";

const OBJECT_COST = 2;
const SCALAR_COST = 1;
const DEPTH_FACTOR = 1.5;

/** Static cost of each validated operation (the same node is executed: Yoga caches parsed documents). */
const staticCosts = new WeakMap<OperationDefinitionNode, number>();

export function staticCostOf(operation: OperationDefinitionNode): number {
  return staticCosts.get(operation) ?? 0;
}

function costOf(ctx: ValidationContext, operation: OperationDefinitionNode): number {
  const visited = new Map<string, number>();
  const complexity = (node: ASTNode): number => {
    if (node.kind === Kind.FIELD && node.name.value === "__schema") return 0;
    if (node.kind === Kind.OPERATION_DEFINITION) {
      return node.selectionSet.selections.reduce((v, child) => v + complexity(child), 0);
    }
    let cost = SCALAR_COST;
    if ("selectionSet" in node && node.selectionSet) {
      cost = OBJECT_COST;
      for (const child of node.selectionSet.selections) cost += DEPTH_FACTOR * complexity(child);
    } else if (node.kind === Kind.FRAGMENT_SPREAD) {
      const name = node.name.value;
      const seen = visited.get(name);
      if (seen !== undefined) return cost + DEPTH_FACTOR * Math.max(seen, 0);
      visited.set(name, -1);
      const fragment = ctx.getFragment(name);
      if (fragment) {
        const fragmentCost = complexity(fragment);
        cost += DEPTH_FACTOR * fragmentCost;
        visited.set(name, fragmentCost);
      }
    }
    return cost;
  };
  return complexity(operation);
}

/** Refuses an operation whose static cost is over `maxCost` (a validation error, BAD_USER_INPUT). */
export function useCostLimit(maxCost: number): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule((ctx: ValidationContext) => ({
        OperationDefinition(operation: OperationDefinitionNode) {
          const cost = costOf(ctx, operation);
          staticCosts.set(operation, cost);
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
