#!/usr/bin/env bash
# Starts the debug `roster` on a fresh SQLite database, drives its
# /graphql/ws with the graphql-ws reference client (graphql-ws/check.mjs),
# runs persisted queries through Apollo Client's own link
# (apollo/persisted.mjs) and the graphql-http audit (graphql-http/audit.mjs). Called by
# .ci/run after `cargo test` built the binary.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN="${CARGO_TARGET_DIR:-$HOME/.cache/roster/target}/debug/roster"
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for client in graphql-ws apollo graphql-http; do
  (cd "$HERE/$client" && { [ -d node_modules ] || npm ci --no-audit --no-fund --silent; })
done

export DATABASE_URL="sqlite://$WORK/roster.db?mode=rwc" ROSTER_DATA_DIR="$WORK" ROSTER_LOG=warn
env -u REDIS_URL "$BIN" bootstrap --account Clients --email admin@clients.test --password "client check password" >/dev/null
env -u REDIS_URL "$BIN" serve --listen 127.0.0.1:0 >"$WORK/out.log" 2>"$WORK/err.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  grep -q "listening on http://" "$WORK/out.log" 2>/dev/null && break
  sleep 0.1
done
URL=$(grep -o "listening on http://[0-9.:]*" "$WORK/out.log" | head -n1 | sed 's/listening on //')
[ -n "$URL" ] || { echo "roster did not start:"; cat "$WORK/err.log"; exit 1; }
TOKEN=$(curl -sf "$URL/graphql" -H 'content-type: application/json' \
  -d '{"query":"mutation { login(email: \"admin@clients.test\", password: \"client check password\") { token } }"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["token"])')
ROSTER_URL="$URL" ROSTER_TOKEN="$TOKEN" node "$HERE/graphql-ws/check.mjs"
ROSTER_URL="$URL" ROSTER_TOKEN="$TOKEN" node "$HERE/apollo/persisted.mjs"
ROSTER_URL="$URL" node "$HERE/graphql-http/audit.mjs"
