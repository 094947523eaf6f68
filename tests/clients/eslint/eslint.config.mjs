// Lints Roster's checked-in SDL (schema/schema.graphql, printed from the Rust
// code) with @graphql-eslint's Relay rules and its schema rules. Run by
// check.sh, from the repository root:
//   eslint --config tests/clients/eslint/eslint.config.mjs schema/schema.graphql
import { fileURLToPath } from 'node:url';
import graphql from '@graphql-eslint/eslint-plugin';

// Absolute, so that the rules that need the whole schema (relay-arguments,
// relay-edge-types, relay-page-info, strict-id-in-types) load the same file
// whatever the working directory, and no stray graphql-config file is used.
const SCHEMA = fileURLToPath(new URL('../../../schema/schema.graphql', import.meta.url));

export default [
  {
    files: ['schema/schema.graphql'],
    languageOptions: {
      parser: graphql.parser,
      parserOptions: { graphQLConfig: { schema: SCHEMA } },
    },
    plugins: { '@graphql-eslint': graphql },
    rules: {
      // --- Relay: cursor connections (https://relay.dev/graphql/connections.htm)

      // Every connection field here takes first/after AND last/before
      // (the query cost model reads either); keep it that way.
      '@graphql-eslint/relay-arguments': ['error', { includeBoth: true }],
      // *Connection: object type, `edges: [XEdge...]`, `pageInfo: PageInfo!`.
      // Extra fields (`nodes`, `totalCount`) are allowed by the spec and by
      // this rule.
      '@graphql-eslint/relay-connection-types': 'error',
      '@graphql-eslint/relay-edge-types': [
        'error',
        {
          // The types returned by `edges` are named *Edge.
          withEdgeSuffix: true,
          // Not in the Relay spec: an edge's `node` may be any object. Some
          // connections list value objects on purpose (DenylistEntry keyed by
          // its email, ImportRowResult by its row, PortalIncident: the
          // portal's view of an Incident, whose global id `node(id:)`
          // resolves to the staff type).
          shouldImplementNode: false,
          // Not in the Relay spec: with `true` every list in the schema
          // (connections' `nodes`, payloads' `userErrors`, `users`, ...)
          // would have to be a list of edges.
          listTypeCanWrapOnlyEdgeType: false,
        },
      ],
      // PageInfo: hasPreviousPage/hasNextPage Boolean!, startCursor/endCursor
      // nullable String.
      '@graphql-eslint/relay-page-info': 'error',

      // --- Relay: global object identification
      // Every output object has exactly one `id: ID!` (the global id that
      // `node(id:)` resolves), except Relay's own structural types and the
      // mutation results/errors, which are not objects of their own.
      '@graphql-eslint/strict-id-in-types': [
        'error',
        {
          acceptedIdNames: ['id'],
          acceptedIdTypes: ['ID'],
          exceptions: {
            types: [
              'PageInfo',
              'UserError',
              // Values that belong to their parent and have no identity of
              // their own: a custom field's value on a customer, a service
              // grant, a user's product and feature, a setting of a
              // template, a manager's permission, an incident's requester.
              'CustomFieldValue',
              'CustomerServiceAccess',
              'UserFeature',
              'UserProduct',
              'Setting',
              'ManagerGrant',
              'IncidentRequester',
              // Results computed for one request, never stored.
              'CustomerExportLink',
              'EmailPreview',
              'ImportIssue',
              'ParsedUser',
              'UserListParse',
              'UserListProblem',
              // Keyed by what identifies them to clients: a denylist entry
              // by its email (`removeFromDenylist(email:)`), an import row
              // by its job and row number.
              'DenylistEntry',
              'ImportRowResult',
              // The account's directory-sync settings, read and changed as
              // a whole (`scimSettings`, `updateScimSettings`).
              'ScimSettings',
            ],
            suffixes: ['Connection', 'Edge', 'Payload'],
          },
        },
      ],

      // --- Schema: descriptions on every type, field, argument/input field
      // and enum value (and directive definition).
      '@graphql-eslint/require-description': [
        'error',
        {
          types: true,
          FieldDefinition: true,
          InputValueDefinition: true,
          EnumValueDefinition: true,
          DirectiveDefinition: true,
          // The arguments of the spec's built-in directives (@include(if:),
          // @skip(if:), @specifiedBy(url:)), which async-graphql prints
          // without descriptions; they are not Roster's to describe.
          ignoredSelectors: [
            'DirectiveDefinition[name.value=/^(include|skip|specifiedBy|deprecated|oneOf)$/] > InputValueDefinition',
          ],
        },
      ],

      // --- Schema: naming. PascalCase types, camelCase fields, arguments,
      // input fields and directives, UPPER_CASE enum values; no leading or
      // trailing underscores (the rule's default).
      '@graphql-eslint/naming-convention': [
        'error',
        {
          types: 'PascalCase',
          FieldDefinition: 'camelCase',
          InputValueDefinition: 'camelCase',
          Argument: 'camelCase',
          DirectiveDefinition: 'camelCase',
          EnumValueDefinition: 'UPPER_CASE',
        },
      ],
    },
  },
];
