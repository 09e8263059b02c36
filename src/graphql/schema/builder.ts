/**
 * The Pothos builder and nothing else: the schema's types live one per file in schema/, and
 * schema/index.ts assembles them. Fields are non-null unless a field says otherwise.
 */
import SchemaBuilder from "@pothos/core";
import type { GraphqlContext } from "../context.js";

export const builder = new SchemaBuilder<{
  Context: GraphqlContext;
  DefaultFieldNullability: false;
  Scalars: {
    Count: { Input: number; Output: number };
    DateTime: { Input: Date; Output: Date };
  };
}>({ defaultFieldNullability: false });
