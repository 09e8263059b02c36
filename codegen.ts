/**
 * GraphQL Code Generator: typed documents for the operations in test/gql/operations.graphql,
 * checked against the committed schema.graphql (`npm run schema` prints it from the code).
 * `npm run codegen` writes test/gql/graphql.ts; `npm run codegen:check` fails when it is stale.
 */
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["test/gql/operations.graphql"],
  generates: {
    "test/gql/graphql.ts": {
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        scalars: { Count: "number", DateTime: "string" },
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
      },
    },
  },
};

export default config;
