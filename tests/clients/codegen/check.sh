#!/usr/bin/env bash
# Runs GraphQL Code Generator (codegen.ts) over the example operations of
# ../scenario/operations against the checked-in SDL, then type-checks the
# generated TypeScript with tsc. Fails when an operation does not fit the
# schema (unknown field, wrong argument or variable type, duplicate name)
# or the generated code does not compile. Needs no server.
set -euo pipefail
cd "$(dirname "$0")"
[ -d node_modules ] || npm ci --no-audit --no-fund --silent
rm -rf generated
# The generator's progress list only matters when it fails.
if ! log=$(npx --no-install graphql-codegen --config codegen.ts 2>&1); then
  printf '%s\n' "$log" >&2
  echo "codegen failed" >&2
  exit 1
fi
[ -s generated/graphql.ts ] || { echo "codegen wrote nothing" >&2; exit 1; }
npx --no-install tsc -p tsconfig.json
echo "codegen: $(grep -c '^export const .*Document = ' generated/graphql.ts) typed operations, tsc clean"
