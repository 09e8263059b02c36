/** Assembles the schema: each import registers its types and fields on the builder. */
import { builder } from "./builder.js";
import "./root.js";
import "./scalars.js";
import "./stats.js";
import "./funnel.js";
import "./listing.js";
import "./increment.js";
import "./series.js";
import "./top.js";

// Declaration order (as docs/contract.md §4 reads) for introspection and GraphiQL; schema.graphql is printed sorted.
export const schema = builder.toSchema({ sortSchema: false });
