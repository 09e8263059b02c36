import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "./index.js";

/** The schema as committed in schema.graphql: sorted, so the file changes only when the schema does. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
