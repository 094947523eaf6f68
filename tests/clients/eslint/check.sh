#!/usr/bin/env bash
# Lints the checked-in SDL (schema/schema.graphql) with @graphql-eslint's
# Relay rules (relay-arguments, relay-connection-types, relay-edge-types,
# relay-page-info, strict-id-in-types) and schema rules (require-description,
# naming-convention); see eslint.config.mjs. Needs no server and no cargo
# build. Exits non-zero on any lint error (or warning, e.g. the schema file
# being skipped by the config).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)

(cd "$HERE" && { [ -d node_modules ] || npm ci --no-audit --no-fund --silent; })

# From the repository root: with --config, ESLint resolves the config's
# `files` against the working directory, and the schema lies outside this
# directory.
cd "$ROOT"
exec "$HERE/node_modules/.bin/eslint" \
  --config "$HERE/eslint.config.mjs" \
  --max-warnings 0 \
  "$@" \
  schema/schema.graphql
