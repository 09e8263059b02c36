/**
 * Series answers cost what they return. GraphQL Armor's cost limit is static: it sees `points`
 * once whatever its length. A window's length is known only once its arguments (variables
 * included) are resolved, so each series field charges its points here, against the same
 * --max-query-cost, summed over the operation: points × the scalar values selected per point
 * (a funnel point's status list counted once), twice when `previous` is selected.
 */
import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from "graphql";
import { badUserInput } from "./errors.js";
import { staticCostOf } from "./plugins/use-cost-limit.js";

/** Per operation (one GraphQL context): its static cost and what its series fields have charged since. */
export interface CostMeter {
  /** undefined until the first series field charges (then: the operation's static cost). */
  spent: number | undefined;
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

/** Charges `points` items of the resolving field's `points` selection; BAD_USER_INPUT past the limit. */
export function chargePoints(
  meter: CostMeter,
  maxCost: number,
  info: GraphQLResolveInfo,
  points: number,
  withPrevious: boolean,
): void {
  const per = valuesPerItem(info, "points");
  const cost = points * per * (withPrevious ? 2 : 1);
  meter.spent = (meter.spent ?? staticCostOf(info.operation)) + cost;
  if (meter.spent > maxCost) {
    throw badUserInput(
      `Query Cost limit of ${maxCost} exceeded, found ${meter.spent}: ${info.fieldName} returns ${points} points${withPrevious ? " (and as many in previous)" : ""} of ${per} values each; select fewer fields or ask for fewer points`,
    );
  }
}
