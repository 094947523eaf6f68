// GraphQL Code Generator: types for the schema and for the example
// operations of tests/clients/scenario/operations, as TypedDocumentNodes
// (Apollo Client, urql, graphql-request accept them). Every operation is
// validated against the checked-in SDL; a mismatch fails the run.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../../schema/schema.graphql",
  documents: ["../scenario/operations/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    "generated/graphql.ts": {
      plugins: ["typescript-operations", "typed-document-node"],
      config: {
        strictScalars: true,
        scalars: {
          DateTime: "string",
          Upload: "File | Blob",
        },
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
        nonOptionalTypename: false,
        dedupeFragments: true,
      },
    },
  },
};

export default config;
