/**
 * GraphQL Code Generator: typed documents for the operations in test/gql/operations.graphql,
 * checked against the committed schema.graphql (`npm run schema` prints it from the code).
 * `npm run codegen` writes test/gql/graphql.ts, and web/dashboard/gql.ts for the dashboard;
 * `npm run codegen:check` fails when either is stale.
 */
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  generates: {
    "test/gql/graphql.ts": {
      documents: ["test/gql/operations.graphql"],
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        scalars: { Count: "number", DateTime: "string" },
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
      },
    },
    // The dashboard's operations, as plain strings (no graphql-js in the browser bundle).
    "web/dashboard/gql.ts": {
      documents: ["web/dashboard/operations.graphql"],
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        documentMode: "string",
        scalars: { Count: "number", DateTime: "string" },
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
      },
    },
  },
};

export default config;
