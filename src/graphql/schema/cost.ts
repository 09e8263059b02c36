/**
 * What an operation costs (GraphQL Armor's formula: object field 2, scalar 1, each level ×1.5,
 * fragments once), and what series answers add: they cost what they return. A window's length is
 * known only once its arguments (variables included) are resolved, so each series field charges
 * its points here, before its window is planned, against the same --max-query-cost, summed over
 * the operation: points × the scalar values selected per point (a funnel point's status list
 * counted once; at least 1, since `total` alone reads and sums every point), twice when
 * `previous` is selected. The static part is checked by plugins/use-cost-limit.ts.
 */
import {
  type ASTNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLResolveInfo,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import type { CostMeter } from "../context.js";
import { badUserInput } from "./errors.js";

const OBJECT_COST = 2;
const SCALAR_COST = 1;
const DEPTH_FACTOR = 1.5;

/** The operation's static cost; `fragment(name)`: a fragment of its document (validation's or execution's). */
export function costOf(
  fragment: (name: string) => FragmentDefinitionNode | undefined,
  operation: OperationDefinitionNode,
): number {
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
      const definition = fragment(name);
      if (definition) {
        const fragmentCost = complexity(definition);
        cost += DEPTH_FACTOR * fragmentCost;
        visited.set(name, fragmentCost);
      }
    }
    return cost;
  };
  return complexity(operation);
}

/** Scalar values one item of `field` returns, from the selection of the field being resolved. */
export function valuesPerItem(info: GraphQLResolveInfo, field: string): number {
  const sub = (set: SelectionSetNode | undefined, name: string): SelectionSetNode[] =>
    flatten(info, set).flatMap((f) => (f.name.value === name && f.selectionSet ? [f.selectionSet] : []));
  const count = (set: SelectionSetNode): number =>
    flatten(info, set).reduce((n, f) => n + (f.selectionSet ? count(f.selectionSet) : 1), 0);
  return info.fieldNodes.flatMap((node) => sub(node.selectionSet, field)).reduce((n, set) => n + count(set), 0);
}

/** The fields of a selection set, through inline fragments and fragment spreads. */
function flatten(info: GraphQLResolveInfo, set: SelectionSetNode | undefined): FieldNode[] {
  return (set?.selections ?? []).flatMap((s) => {
    if (s.kind === Kind.FIELD) return [s];
    if (s.kind === Kind.INLINE_FRAGMENT) return flatten(info, s.selectionSet);
    return flatten(info, info.fragments[s.name.value]?.selectionSet);
  });
}

/**
 * Charges `points` items of the resolving field's `points` selection — at least one per point
 * whatever is selected (a `{ total }` still sums every point) — BAD_USER_INPUT past the limit.
 */
export function chargePoints(
  meter: CostMeter,
  maxCost: number,
  info: GraphQLResolveInfo,
  points: number,
  withPrevious: boolean,
): void {
  const selected = valuesPerItem(info, "points");
  const per = Math.max(1, selected);
  const cost = points * per * (withPrevious ? 2 : 1);
  // The static part once per operation, from the operation itself (the limit plugin checked it).
  meter.spent = (meter.spent ?? costOf((name) => info.fragments[name], info.operation)) + cost;
  if (meter.spent > maxCost) {
    throw badUserInput(
      `Query Cost limit of ${maxCost} exceeded, found ${meter.spent}: ${info.fieldName} returns ${points} points${withPrevious ? " (and as many in previous)" : ""}${selected === 0 ? ", each read and summed (1 each) even when points are not selected" : ` of ${per} values each`}; select fewer fields or ask for fewer points`,
    );
  }
}

/** Charges at most `items` entries of the resolving field's `list` selection (e.g. top's `accounts`). */
export function chargeItems(
  meter: CostMeter,
  maxCost: number,
  info: GraphQLResolveInfo,
  list: string,
  items: number,
): void {
  const per = valuesPerItem(info, list);
  meter.spent = (meter.spent ?? costOf((name) => info.fragments[name], info.operation)) + items * per;
  if (meter.spent > maxCost) {
    throw badUserInput(
      `Query Cost limit of ${maxCost} exceeded, found ${meter.spent}: ${info.fieldName} returns up to ${items} ${list} of ${per} values each; select fewer fields or ask for fewer`,
    );
  }
}
