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
import {
  type GraphQLSchema,
  getOperationAST,
  getVariableValues,
  Kind,
  type OperationDefinitionNode,
  type TypeNode,
} from "graphql";

export function useJitQueries(onError: (error: unknown) => void): ReturnType<typeof useGraphQlJit> {
  /** Per operation: its variables when every one is a built-in scalar (or null when one is not). */
  const scalarVariables = new WeakMap<OperationDefinitionNode, ScalarVariable[] | null>();
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
        const values = (args.variableValues ?? {}) as Record<string, unknown>;
        if (builtInScalarsCoerce(scalarVariables, operation, values)) return true;
        return getVariableValues(args.schema as GraphQLSchema, variables, values).errors === undefined;
      },
      onError: (result) => onError(result.errors),
      // A compiled query is kept as long as Yoga's parse cache keeps its DocumentNode (a WeakMap).
    },
  );
}

/** A variable of a built-in scalar type: its name, type and whether it may be null. */
interface ScalarVariable {
  name: string;
  type: string;
  nonNull: boolean;
}

const BUILT_IN_SCALARS = new Set(["String", "Int", "Float", "Boolean", "ID"]);

/**
 * True when every variable of the operation is of a built-in scalar type and its value is one
 * graphql-js would accept unchanged (a string for String, a 32-bit integer for Int, …): then
 * coercion cannot fail, and the full coercion (the executed path's largest single cost after
 * I/O in the profile) is not run twice. False means "not known": the caller coerces for real.
 */
function builtInScalarsCoerce(
  scalarVariables: WeakMap<OperationDefinitionNode, ScalarVariable[] | null>,
  operation: OperationDefinitionNode,
  values: Record<string, unknown>,
): boolean {
  let defs = scalarVariables.get(operation);
  if (defs === undefined) {
    defs = [];
    for (const def of operation.variableDefinitions ?? []) {
      const nonNull = def.type.kind === Kind.NON_NULL_TYPE;
      const named: TypeNode = def.type.kind === Kind.NON_NULL_TYPE ? def.type.type : def.type;
      if (named.kind !== Kind.NAMED_TYPE || !BUILT_IN_SCALARS.has(named.name.value) || def.defaultValue) {
        defs = null;
        break;
      }
      defs.push({ name: def.variable.name.value, type: named.name.value, nonNull });
    }
    scalarVariables.set(operation, defs);
  }
  if (defs === null) return false;
  for (const { name, type, nonNull } of defs) {
    const v = values[name];
    if (v === undefined || v === null) {
      if (nonNull) return false;
      continue;
    }
    if (!scalarAccepts(type, v)) return false;
  }
  return true;
}

function scalarAccepts(type: string, v: unknown): boolean {
  switch (type) {
    case "String":
      return typeof v === "string";
    case "Int":
      return typeof v === "number" && Number.isInteger(v) && v <= 2_147_483_647 && v >= -2_147_483_648;
    case "Float":
      return typeof v === "number" && Number.isFinite(v);
    case "Boolean":
      return typeof v === "boolean";
    default:
      // ID: a string, or an integer (graphql-js turns it into a string).
      return typeof v === "string" || (typeof v === "number" && Number.isInteger(v));
  }
}
