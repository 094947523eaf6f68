#!/usr/bin/env bash
# Checks /scim/v2 of the debug `roster` with two Python SCIM clients:
#   1. conformance.py: every check of scim2-tester, on the fresh account
#      (any result but SUCCESS, SKIPPED included, fails);
#   2. scenario.py: an identity provider's day through scim2-client (a
#      /Bulk of 1,000 users and 20 groups, moves between groups,
#      deactivations, deletes), each step checked through GraphQL.
# One instance on a fresh SQLite database; or, when DATABASE_URL is a
# PostgreSQL URL (CI's second run), on a fresh database roster_scim_<random>
# of that server (dropped afterwards), with REDIS_URL if it is set. A
# PostgreSQL DATABASE_URL whose server does not answer fails the check.
# The clients live in a venv at ${ROSTER_CACHE:-~/.cache/roster}/scim-venv,
# reinstalled from requirements.txt whenever that file changes.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN="${CARGO_TARGET_DIR:-$HOME/.cache/roster/target}/debug/roster"
[ -x "$BIN" ] || { echo "no roster binary at $BIN (build it with cargo build first)" >&2; exit 1; }
CACHE="${ROSTER_CACHE:-$HOME/.cache/roster}"
VENV="$CACHE/scim-venv"
EMAIL=admin@scim.test
PASSWORD="scim check password"
WORK=$(mktemp -d)
SERVER_PID=""
PG_DB=""
PSQL=()
STARTED=$SECONDS

cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "$PG_DB" ]; then
    "${PSQL[@]}" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 \
      || echo "could not drop database $PG_DB" >&2
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The venv, (re)built when requirements.txt differs from the copy kept in it
# or the venv no longer runs (e.g. its Python was upgraded).
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "python3 is $(python3 -V 2>&1): scim2-tester needs Python 3.11 or newer" >&2; exit 1; }
if ! cmp -s "$HERE/requirements.txt" "$VENV/requirements.txt" \
  || ! "$VENV/bin/python" -c 'import scim2_tester, scim2_client, httpx2' 2>/dev/null; then
  echo "== installing the SCIM clients into $VENV"
  mkdir -p "$CACHE"
  python3 -m venv --clear "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
  cp "$HERE/requirements.txt" "$VENV/requirements.txt"
fi

# The server refuses unknown ROSTER_* settings (ROSTER_CACHE, ...), so it
# runs with none from the caller's environment, and without the caller's
# REDIS_URL or SMTP_URL unless given here.
CLEAN_ENV=(-u REDIS_URL -u SMTP_URL)
for var in $(compgen -e | grep '^ROSTER_' || true); do CLEAN_ENV+=(-u "$var"); done
SETTINGS=(ROSTER_LOG=warn ROSTER_DATA_DIR="$WORK")
roster() { env "${CLEAN_ENV[@]}" "${SETTINGS[@]}" "$BIN" "$@"; }

case "${DATABASE_URL:-}" in
  postgres://* | postgresql://*)
    command -v psql >/dev/null || { echo "DATABASE_URL is PostgreSQL but psql is not installed" >&2; exit 1; }
    # The server, user and options of DATABASE_URL, with a database of our own.
    NEW_DB="roster_scim_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
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
    if [ -n "${REDIS_URL:-}" ]; then
      # Roster starts without its Redis (it retries): check that it answers.
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
      SETTINGS+=(REDIS_URL="$REDIS_URL")
    fi
    "${PSQL[@]}" -qc "CREATE DATABASE $NEW_DB"
    PG_DB=$NEW_DB
    SETTINGS+=(DATABASE_URL="$PG_URL")
    WHERE="PostgreSQL database $NEW_DB${REDIS_URL:+ with Redis}"
    ;;
  *)
    SETTINGS+=(DATABASE_URL="sqlite://$WORK/roster.db?mode=rwc")
    WHERE="SQLite"
    ;;
esac

echo "== SCIM clients against roster on $WHERE"
roster migrate >/dev/null
roster bootstrap --account "SCIM" --email "$EMAIL" --password "$PASSWORD" >/dev/null
# Not through roster(): $! must be the server's own pid (env execs it).
env "${CLEAN_ENV[@]}" "${SETTINGS[@]}" "$BIN" serve --listen 127.0.0.1:0 >"$WORK/out.log" 2>"$WORK/err.log" &
SERVER_PID=$!
URL=""
for _ in $(seq 1 150); do
  URL=$(grep -o "listening on http://[0-9.:]*" "$WORK/out.log" 2>/dev/null | head -n1 | sed 's/listening on //' || true)
  [ -n "$URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$URL" ] || { echo "roster did not start:" >&2; cat "$WORK/err.log" >&2; exit 1; }

# graphql QUERY SESSION_TOKEN FIELD.PATH: prints that field of the answer's
# data; GraphQL errors or userErrors fail the check.
graphql() {
  local auth=() picked
  [ -n "$2" ] && auth=(-H "Authorization: Bearer $2")
  picked=$(curl -sS --fail-with-body "$URL/graphql" -H 'content-type: application/json' "${auth[@]}" \
      -d "$(python3 -c 'import json, sys; print(json.dumps({"query": sys.argv[1]}))' "$1")" \
    | python3 -c '
import json, sys
body = json.load(sys.stdin)
data = body.get("data") or {}
errors = body.get("errors") or [e for v in data.values() if isinstance(v, dict) for e in v.get("userErrors") or []]
if errors:
    sys.exit(f"GraphQL errors: {errors}")
for key in sys.argv[1].split("."):
    data = data[key]
print(data)' "$3") || { echo "GraphQL request failed: $1" >&2; return 1; }
  echo "$picked"
}
SESSION=$(graphql "mutation { login(email: \"$EMAIL\", password: \"$PASSWORD\") { token } }" "" login.token)
# One SCIM token per client, so that the scenario's history names its own.
scim_token() {
  graphql "mutation { createScimToken(input: {name: \"$1\"}) { token userErrors { message } } }" \
    "$SESSION" createScimToken.token
}
TESTER_TOKEN=$(scim_token "scim2-tester")
SCENARIO_TOKEN=$(scim_token "Scenario IdP")

FAILED=()
server_log() {
  [ -s "$WORK/err.log" ] && { echo "--- server log (last lines)"; tail -n 40 "$WORK/err.log"; }
  return 0
}

# The tester first, on the fresh account: it expects what it creates on the
# first page of an unfiltered list.
echo "== scim2-tester: every check"
T0=$SECONDS
if "$VENV/bin/python" "$HERE/conformance.py" --url "$URL/scim/v2" --token "$TESTER_TOKEN" \
    --log "$WORK/conformance-traffic.log"; then
  echo "(conformance: $((SECONDS - T0))s)"
else
  FAILED+=("conformance")
  cp "$WORK/conformance-traffic.log" "$CACHE/scim-conformance-traffic.log" 2>/dev/null \
    && echo "every request and response of the run: $CACHE/scim-conformance-traffic.log"
  server_log
fi

echo "== scenario: /Bulk of 1,000 users and 20 groups, moves, deactivations, deletes; checked through GraphQL"
T0=$SECONDS
if ROSTER_URL="$URL" ROSTER_TOKEN="$SESSION" ROSTER_EMAIL="$EMAIL" \
    ROSTER_SCIM_TOKEN="$SCENARIO_TOKEN" ROSTER_SCIM_TOKEN_NAME="Scenario IdP" \
    "$VENV/bin/python" "$HERE/scenario.py"; then
  echo "(scenario: $((SECONDS - T0))s)"
else
  FAILED+=("scenario")
  server_log
fi

if [ ${#FAILED[@]} -gt 0 ]; then
  echo "SCIM client check FAILED on $WHERE: ${FAILED[*]}" >&2
  exit 1
fi
echo "SCIM client check passed on $WHERE ($((SECONDS - STARTED))s)"
