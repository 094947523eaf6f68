#!/usr/bin/env bash
# Runs scenario.mjs (a customer-directory app's session through Apollo
# Client, graphql-ws and apollo-upload-client), then ../graphiql/check.mjs
# (the GraphiQL page in headless Chromium), against the debug `roster`:
#   1. one instance on a fresh SQLite database;
#   2. when DATABASE_URL is a PostgreSQL URL (CI's second run, which also
#      sets REDIS_URL): two instances on a fresh database
#      roster_scenario_<random> of that server, sharing REDIS_URL, with
#      HTTP going to the first and the subscriptions to the second.
# A PostgreSQL DATABASE_URL whose server (or Redis) does not answer fails
# the check; it is never skipped. Each database is set up with
# `roster migrate` and `roster bootstrap --demo` (10 customers to page).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN="${CARGO_TARGET_DIR:-$HOME/.cache/roster/target}/debug/roster"
[ -x "$BIN" ] || { echo "no roster binary at $BIN (build it with cargo build first)" >&2; exit 1; }
EMAIL=admin@scenario.test
PASSWORD="scenario check password"
WORK=$(mktemp -d)
PIDS=()
PG_DB=""
PSQL=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$PG_DB" ]; then
    "${PSQL[@]}" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 \
      || echo "could not drop database $PG_DB" >&2
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

(cd "$HERE" && { [ -d node_modules ] || npm ci --no-audit --no-fund --silent; })
GRAPHIQL="$HERE/../graphiql"
(cd "$GRAPHIQL" && { [ -d node_modules ] || npm ci --no-audit --no-fund --silent; })
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
[ -n "$CHROMIUM" ] || { echo "Chromium is not installed (Debian: apt-get install chromium); the GraphiQL check needs it" >&2; exit 1; }

# The server refuses unknown ROSTER_* settings (the scenario's ROSTER_URL,
# ROSTER_EMAIL, ...), so it runs with none from the caller's environment,
# and without the caller's REDIS_URL or SMTP_URL unless given here.
CLEAN_ENV=(-u REDIS_URL -u SMTP_URL)
for var in $(compgen -e | grep '^ROSTER_' || true); do CLEAN_ENV+=(-u "$var"); done
# roster VAR=VALUE... -- ARGS...
roster() {
  local settings=()
  while [ "$1" != "--" ]; do settings+=("$1"); shift; done
  shift
  env "${CLEAN_ENV[@]}" ROSTER_LOG=warn "${settings[@]}" "$BIN" "$@"
}

# setup DATABASE_URL DATA_DIR: migrations, then the account and its admin.
setup() {
  roster DATABASE_URL="$1" ROSTER_DATA_DIR="$2" -- migrate >/dev/null
  roster DATABASE_URL="$1" ROSTER_DATA_DIR="$2" -- \
    bootstrap --account "Scenario" --email "$EMAIL" --password "$PASSWORD" --demo >/dev/null
}

# serve NAME VAR=VALUE...: starts an instance; its URL lands in $URL.
serve() {
  local name=$1 i
  shift
  # Not through roster(): $! must be the server's own pid (env execs it).
  env "${CLEAN_ENV[@]}" ROSTER_LOG=warn "$@" "$BIN" serve --listen 127.0.0.1:0 \
    >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PIDS+=($!)
  URL=""
  for i in $(seq 1 150); do
    URL=$(grep -o "listening on http://[0-9.:]*" "$WORK/$name.out" 2>/dev/null | head -n1 | sed 's/listening on //' || true)
    [ -n "$URL" ] && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$URL" ] || { echo "roster ($name) did not start:" >&2; cat "$WORK/$name.err" >&2; exit 1; }
}

# scenario HTTP_URL WS_URL OUTBOX
scenario() {
  local log
  ROSTER_URL="$1" ROSTER_WS_URL="$2" ROSTER_OUTBOX="$3" \
    ROSTER_EMAIL="$EMAIL" ROSTER_PASSWORD="$PASSWORD" node "$HERE/scenario.mjs" && return 0
  for log in "$WORK"/*.err; do
    [ -s "$log" ] && { echo "--- $(basename "$log" .err) server log (last lines)"; tail -n 40 "$log"; }
  done
  return 1
}

# graphiql HTTP_URL: the GraphiQL page in headless Chromium (sign in, a
# query, a subscription, a CSV import followed live).
graphiql() {
  local log
  ROSTER_URL="$1" ROSTER_EMAIL="$EMAIL" ROSTER_PASSWORD="$PASSWORD" CHROMIUM="$CHROMIUM" \
    node "$GRAPHIQL/check.mjs" && return 0
  for log in "$WORK"/*.err; do
    [ -s "$log" ] && { echo "--- $(basename "$log" .err) server log (last lines)"; tail -n 40 "$log"; }
  done
  return 1
}

stop_servers() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}

PG_MODE=""
case "${DATABASE_URL:-}" in
  postgres://* | postgresql://*) PG_MODE=1 ;;
esac

# PostgreSQL + Redis are checked before anything runs: a PostgreSQL
# DATABASE_URL that cannot be used fails the check at once.
if [ -n "$PG_MODE" ]; then
  [ -n "${REDIS_URL:-}" ] || { echo "DATABASE_URL is PostgreSQL but REDIS_URL is not set: the two-instance run needs both" >&2; exit 1; }
  command -v psql >/dev/null || { echo "DATABASE_URL is PostgreSQL but psql is not installed" >&2; exit 1; }
  # The server, user and options of DATABASE_URL, with a database of our own.
  NEW_DB="roster_scenario_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  PG_VARS=$(python3 - "$DATABASE_URL" "$NEW_DB" <<'PY'
import shlex, sys
from urllib.parse import urlsplit, urlunsplit, unquote
url, db = sys.argv[1], sys.argv[2]
u = urlsplit(url)
print("PG_HOST=" + shlex.quote(u.hostname or "127.0.0.1"))
print("PG_PORT=" + shlex.quote(str(u.port or 5432)))
print("PG_USER=" + shlex.quote(unquote(u.username or "postgres")))
print("PG_PASSWORD=" + shlex.quote(unquote(u.password or "")))
print("PG_URL=" + shlex.quote(urlunsplit((u.scheme, u.netloc, "/" + db, u.query, ""))))
PY
  )
  eval "$PG_VARS"
  PSQL=(env PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=5 psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 -X)
  "${PSQL[@]}" -qAtc "SELECT 1" >/dev/null \
    || { echo "PostgreSQL at $PG_HOST:$PG_PORT (from DATABASE_URL) does not answer to psql" >&2; exit 1; }
  python3 - "$REDIS_URL" <<'PY' || { echo "Redis at REDIS_URL=$REDIS_URL does not answer PING" >&2; exit 1; }
import socket, sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
def command(*args):
    return (f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)).encode()
try:
    with socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=5) as s:
        if u.password:
            s.sendall(command("AUTH", *([u.username] if u.username else []), u.password))
            if not s.recv(64).startswith(b"+OK"):
                sys.exit(1)
        s.sendall(command("PING"))
        sys.exit(0 if s.recv(64).startswith(b"+PONG") else 1)
except OSError as err:
    print(err, file=sys.stderr)
    sys.exit(1)
PY
fi

FAILED=()

echo "== scenario on SQLite, one instance"
mkdir -p "$WORK/sqlite"
SQLITE_URL="sqlite://$WORK/sqlite/roster.db?mode=rwc"
setup "$SQLITE_URL" "$WORK/sqlite"
serve sqlite DATABASE_URL="$SQLITE_URL" ROSTER_DATA_DIR="$WORK/sqlite"
scenario "$URL" "${URL/http/ws}/graphql/ws" "$WORK/sqlite/outbox" || FAILED+=("SQLite")
graphiql "$URL" || FAILED+=("GraphiQL on SQLite")
stop_servers

if [ -n "$PG_MODE" ]; then
  echo "== scenario on PostgreSQL + Redis, two instances (HTTP to the first, WebSocket to the second)"
  "${PSQL[@]}" -qc "CREATE DATABASE $NEW_DB"
  PG_DB=$NEW_DB
  mkdir -p "$WORK/pg-a" "$WORK/pg-b" "$WORK/pg-mail"
  setup "$PG_URL" "$WORK/pg-a"
  # Both instances write mail to one folder, whichever sends it.
  serve pg-a DATABASE_URL="$PG_URL" REDIS_URL="$REDIS_URL" ROSTER_DATA_DIR="$WORK/pg-a" ROSTER_MAIL_DIR="$WORK/pg-mail"
  URL_A=$URL
  serve pg-b DATABASE_URL="$PG_URL" REDIS_URL="$REDIS_URL" ROSTER_DATA_DIR="$WORK/pg-b" ROSTER_MAIL_DIR="$WORK/pg-mail"
  URL_B=$URL
  scenario "$URL_A" "${URL_B/http/ws}/graphql/ws" "$WORK/pg-mail" || FAILED+=("PostgreSQL + Redis")
  graphiql "$URL_B" || FAILED+=("GraphiQL on PostgreSQL + Redis")
  stop_servers
else
  echo "(DATABASE_URL is not a PostgreSQL URL: the two-instance run on PostgreSQL + Redis is not part of this check)"
fi

if [ ${#FAILED[@]} -gt 0 ]; then
  echo "client scenario FAILED on: ${FAILED[*]}" >&2
  exit 1
fi
echo "client scenario passed"
