#!/usr/bin/env bash
# Roster vs PostGraphile on the same PostgreSQL data (see BENCHMARKS.md).
#
# Usage: bash bench/compare/run.sh [flags]
#
# Flags:
#   --no-build          do not run `cargo build --release -p roster`; use the
#                       existing $CARGO_TARGET_DIR/release/roster
#   --roster-bin PATH   use this roster binary (implies --no-build)
#   --baseline-bin PATH also run this second roster binary (server
#                       `rosterbase`, same data, interleaved with the
#                       others): compares two builds in one run
#   --duration S        seconds measured per (round, case, server)   [15]
#   --warmup S          warm-up seconds before each measurement       [2]
#   --rounds N          interleaved rounds                            [3]
#   --connections N     autocannon connections                       [16]
#   --cases LIST        comma-separated subset of a,b,c,d            [a,b,c,d]
#   --servers LIST      comma-separated subset of
#                       roster,pg4,pg4x2,pg5,pg5x2                    [all]
#   --search-rows N     also load N customers into <db>_search and measure
#                       case e (Roster keyword search, 1 connection)  [off]
#   --seq-requests N    sequential requests per (server, case) when
#                       counting SQL statements                       [20]
#   --no-count          skip the SQL statement counting phase
#   --pg-pool N         PostgreSQL connections per PostGraphile
#                       configuration (split between its workers)    [16]
#                       (Roster's pool is fixed at 16 in web/src/db.rs)
#   --db NAME           benchmark database                 [roster_bench]
#   --reuse-db          keep and use an existing, already loaded <db>
#                       (skips create / migrate / bootstrap / load)
#   --keep              do not drop the benchmark database(s) at the end
#   --pg-host H / --pg-port P / --pg-user U
#                       PostgreSQL server (trust auth) [127.0.0.1 / 5432 / postgres]
#   --pg-log FILE       PostgreSQL's log file (for statement counting)
#                       [auto: /var/log/postgresql/postgresql-<major>-main.log]
#   --port-base P       first of the local ports the servers use    [18470]
#   --out-dir DIR       where results-<date>.md goes   [bench/compare]
#   -h, --help          this text
#
# Environment: CARGO_TARGET_DIR (default $HOME/.cache/roster/target).
#
# What it does: builds Roster (release), creates <db>, runs `roster migrate`
# and `roster bootstrap`, loads the data set with load.sql (deterministic,
# set-based), checks that Roster sees it, starts Roster and four PostGraphile
# configurations on the same database (all at once, on ports port-base ..
# port-base+4; they are idle while another one is loaded), checks that every
# server returns the same data for every case, runs the interleaved load
# (round -> case -> server, every response verified), counts SQL statements
# per request in the PostgreSQL log with fresh server processes, prints the
# table and writes it to results-<date>.md. Everything it started is stopped
# on exit; the databases are dropped unless --keep. Traffic stays on
# 127.0.0.1. A watchdog stops the run if it exceeds its time budget.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

BUILD=1
ROSTER_BIN=""
BASELINE_BIN=""
DURATION=15
WARMUP=2
ROUNDS=3
CONNECTIONS=16
CASES="a,b,c,d"
SERVERS="roster,pg4,pg4x2,pg5,pg5x2"
SEARCH_ROWS=0
SEQ_REQUESTS=20
COUNT=1
PG_POOL=16
DB=roster_bench
REUSE_DB=0
KEEP=0
PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
PG_LOG=""
PORT_BASE=18470
OUT_DIR="$HERE"
ROSTER_EXTRA_ENV=()

CUSTOMERS=100000
ADMIN_EMAIL=admin@bench.test
ADMIN_PASSWORD='Bench-Compare-7f3Kq9-Roster!'
ACCOUNT_NAME=Bench
SEARCH_KEYWORD=quixotry

die() { echo "run.sh: $*" >&2; exit 1; }
say() { echo "==> $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --roster-bin) ROSTER_BIN=$2; BUILD=0; shift ;;
    --duration) DURATION=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --connections) CONNECTIONS=$2; shift ;;
    --cases) CASES=$2; shift ;;
    --servers) SERVERS=$2; shift ;;
    --search-rows) SEARCH_ROWS=$2; shift ;;
    --seq-requests) SEQ_REQUESTS=$2; shift ;;
    --no-count) COUNT=0 ;;
    --pg-pool) PG_POOL=$2; shift ;;
    --db) DB=$2; shift ;;
    --baseline-bin) BASELINE_BIN=$2; shift ;;
    --reuse-db) REUSE_DB=1 ;;
    --keep) KEEP=1 ;;
    --pg-host) PG_HOST=$2; shift ;;
    --pg-port) PG_PORT=$2; shift ;;
    --pg-user) PG_USER=$2; shift ;;
    --pg-log) PG_LOG=$2; shift ;;
    --port-base) PORT_BASE=$2; shift ;;
    --out-dir) OUT_DIR=$2; shift ;;
    -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown flag $1 (see --help)" ;;
  esac
  shift
done

for n in DURATION WARMUP ROUNDS CONNECTIONS SEARCH_ROWS SEQ_REQUESTS PG_POOL PG_PORT PORT_BASE; do
  [[ ${!n} =~ ^[0-9]+$ ]] || die "--$(echo "$n" | tr 'A-Z_' 'a-z-') must be a whole number, got '${!n}'"
done
[ "$DURATION" -ge 1 ] && [ "$ROUNDS" -ge 1 ] && [ "$CONNECTIONS" -ge 1 ] || die "duration, rounds and connections must be at least 1"
[ "$PG_POOL" -ge 2 ] || die "--pg-pool must be at least 2"
[[ $DB =~ ^[a-z_][a-z0-9_]*$ ]] || die "--db must be a plain lower-case identifier"
case "$DB" in postgres|template0|template1|test) die "refusing to use database '$DB'" ;; esac
SEARCH_DB="${DB}_search"
IFS=, read -r -a CASE_LIST <<<"$CASES"
IFS=, read -r -a SERVER_LIST <<<"$SERVERS"
if [ -n "$BASELINE_BIN" ]; then
  [ -x "$BASELINE_BIN" ] || die "no roster binary at $BASELINE_BIN (--baseline-bin)"
  SERVER_LIST+=(rosterbase)
fi
for c in "${CASE_LIST[@]}"; do case "$c" in a|b|c|d) ;; *) die "unknown case '$c' (a,b,c,d)" ;; esac; done
HAS_ROSTER=0
for s in "${SERVER_LIST[@]}"; do
  case "$s" in roster) HAS_ROSTER=1 ;; pg4|pg4x2|pg5|pg5x2|rosterbase) ;; *) die "unknown server '$s'" ;; esac
done
NEED_ROSTER=$(( HAS_ROSTER || ! REUSE_DB || SEARCH_ROWS > 0 ))

command -v psql >/dev/null || die "psql is not installed"
command -v node >/dev/null || die "node is not installed"
command -v curl >/dev/null || die "curl is not installed"
command -v setsid >/dev/null || die "setsid (util-linux) is not installed"
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
[ "$NODE_MAJOR" -ge 20 ] || die "Node >= 20 is needed (found $(node --version))"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/roster/target}"
[ -n "$ROSTER_BIN" ] || ROSTER_BIN="$CARGO_TARGET_DIR/release/roster"

PG_BASE="postgres://$PG_USER@$PG_HOST:$PG_PORT"
DB_URL="$PG_BASE/$DB"
SEARCH_URL="$PG_BASE/$SEARCH_DB"
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$@"; }
sql_at() { local db=$1; shift; psql_ -d "$db" -At -c "$@"; }

WORK=$(mktemp -d /tmp/roster-bench.XXXXXX)
declare -A PID_OF=()     # server name -> process (group) id
CHILD=""                 # foreground helper running in the background
WATCHDOG=""
LOG_ALTERED=0
CREATED_DBS=()

stop_server() {
  local name=$1 pid=${PID_OF[$1]:-}
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  unset "PID_OF[$name]"
}

cleanup() {
  local rc=$?
  set +e
  [ -n "$WATCHDOG" ] && kill -TERM -- "-$WATCHDOG" 2>/dev/null
  [ -n "$CHILD" ] && kill -TERM "$CHILD" 2>/dev/null
  for name in "${!PID_OF[@]}"; do stop_server "$name"; done
  if [ "$LOG_ALTERED" = 1 ]; then
    sql_at postgres "ALTER DATABASE $DB RESET log_statement" >/dev/null 2>&1
  fi
  if [ "$KEEP" = 0 ]; then
    for db in "${CREATED_DBS[@]}"; do
      sql_at postgres "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 \
        && echo "==> dropped database $db" >&2
    done
  elif [ "${#CREATED_DBS[@]}" -gt 0 ]; then
    echo "==> kept database(s): ${CREATED_DBS[*]}" >&2
  fi
  if [ "$rc" != 0 ]; then
    echo "run.sh: FAILED (exit $rc); server logs and intermediate files: $WORK" >&2
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT
trap 'echo "run.sh: terminated (time budget exceeded?)" >&2; exit 143' TERM

# Runs a command in the background and waits for it, so that the TERM of
# the watchdog interrupts the wait and the cleanup stops the command.
run() {
  "$@" &
  CHILD=$!
  local rc=0
  wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}

# ---------------------------------------------------------------- budget
N_SERVERS=${#SERVER_LIST[@]}
N_CASES=${#CASE_LIST[@]}
BUDGET=$(( 1200 + ROUNDS * N_CASES * N_SERVERS * (DURATION + WARMUP + 8) ))
[ "$SEARCH_ROWS" -gt 0 ] && BUDGET=$(( BUDGET + 1200 + SEARCH_ROWS / 500 + ROUNDS * (DURATION + WARMUP + 5) ))
[ "$COUNT" = 1 ] && BUDGET=$(( BUDGET + N_SERVERS * (120 + N_CASES * (SEQ_REQUESTS + 10)) ))
[ "$BUILD" = 1 ] && BUDGET=$(( BUDGET + 3600 ))
setsid bash -c 'sleep "$1"; echo "run.sh: time budget of $1 s exceeded; stopping" >&2; kill -TERM "$2"' \
  watchdog "$BUDGET" "$$" </dev/null &
WATCHDOG=$!
say "work folder $WORK; time budget ${BUDGET}s"

# ---------------------------------------------------------------- 0. preflight
sql_at postgres "SELECT 1" >/dev/null 2>&1 \
  || die "cannot connect to PostgreSQL at $PG_BASE/postgres (trust auth expected)"
for dir in "$HERE" "$HERE/pg4" "$HERE/pg5"; do
  if [ ! -d "$dir/node_modules" ]; then
    say "npm ci in ${dir#$ROOT/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $dir"
  fi
done
for port in $(seq "$PORT_BASE" $((PORT_BASE + 5))); do
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
    die "port $port is already in use (choose another --port-base)"
  fi
done

# ---------------------------------------------------------------- 1. build
if [ "$BUILD" = 1 ]; then
  say "cargo build --release -p roster (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
  (cd "$ROOT" && run cargo build --release -p roster) || die "cargo build failed"
fi
if [ "$NEED_ROSTER" = 1 ]; then
  [ -x "$ROSTER_BIN" ] || die "no Roster binary at $ROSTER_BIN (run without --no-build, or pass --roster-bin)"
  ROSTER_VERSION="$("$ROSTER_BIN" --version 2>/dev/null || echo roster), binary of $(date -u -r "$ROSTER_BIN" '+%Y-%m-%d %H:%M UTC')"
  if [ "$BUILD" = 1 ] && GIT_HEAD=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null); then
    ROSTER_VERSION+=", built from $GIT_HEAD"
    [ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] || ROSTER_VERSION+=" + uncommitted changes"
  fi
  # Roster limits requests per session token (1,200 a minute by default);
  # the load sends far more with one token, so the limit is raised (the
  # limiter still runs). Older binaries have no such setting, and refuse
  # unknown ROSTER_* variables, so it is only set when supported.
  ROSTER_EXTRA_ENV=()
  if "$ROSTER_BIN" --help 2>/dev/null | grep -q -- '--request-limit-per-token'; then
    ROSTER_EXTRA_ENV+=(ROSTER_REQUEST_LIMIT_PER_TOKEN=4000000000)
  fi
else
  ROSTER_VERSION="(not run)"
fi

# ---------------------------------------------------------------- 2. data
# Creates $1 from scratch, migrates it, bootstraps the account and loads $2
# customers.
prepare_db() {
  local db=$1 customers=$2 url="$PG_BASE/$1"
  sql_at postgres "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
  sql_at postgres "CREATE DATABASE $db"
  CREATED_DBS+=("$db")
  say "$db: roster migrate"
  DATABASE_URL="$url" ROSTER_DATA_DIR="$WORK/roster-data" ROSTER_LOG=warn \
    run "$ROSTER_BIN" migrate >"$WORK/migrate-$db.log" 2>&1 \
    || { cat "$WORK/migrate-$db.log" >&2; die "roster migrate failed on $db"; }
  say "$db: roster bootstrap --account $ACCOUNT_NAME --email $ADMIN_EMAIL"
  DATABASE_URL="$url" ROSTER_DATA_DIR="$WORK/roster-data" ROSTER_LOG=warn \
    run "$ROSTER_BIN" bootstrap --account "$ACCOUNT_NAME" --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" \
    >"$WORK/bootstrap-$db.log" 2>&1 \
    || { cat "$WORK/bootstrap-$db.log" >&2; die "roster bootstrap failed on $db"; }
  local account
  account=$(sql_at "$db" "SELECT account_id FROM users WHERE email_key = '$ADMIN_EMAIL'")
  [ -n "$account" ] || die "$db: no account after bootstrap"
  say "$db: loading $customers customers (load.sql)"
  local t0=$SECONDS
  run psql_ -d "$db" -v account="$account" -v customers="$customers" -f "$HERE/load.sql" \
    || die "load.sql failed on $db"
  say "$db: loaded in $((SECONDS - t0)) s"
}

# Checks the row counts of the data set in $1 for $2 customers.
verify_counts() {
  local db=$1 customers=$2 got want
  got=$(sql_at "$db" "
    WITH a AS (SELECT id FROM accounts WHERE name = '$ACCOUNT_NAME')
    SELECT concat_ws(' ',
      (SELECT count(*) FROM companies WHERE account_id IN (SELECT id FROM a)),
      (SELECT count(*) FROM services WHERE account_id IN (SELECT id FROM a)),
      (SELECT count(*) FROM company_services WHERE account_id IN (SELECT id FROM a)),
      (SELECT count(*) FROM customers WHERE account_id IN (SELECT id FROM a)),
      (SELECT count(*) FROM customers WHERE account_id IN (SELECT id FROM a) AND company_id IS NULL),
      (SELECT count(*) FROM customer_emails WHERE account_id IN (SELECT id FROM a) AND is_primary AND position = 0),
      (SELECT count(*) FROM customer_services WHERE account_id IN (SELECT id FROM a)))")
  want="200 20 1000 $customers $((customers / 23)) $customers $((customers * 2))"
  [ "$got" = "$want" ] || die "$db: unexpected row counts (companies services company_services customers no-company emails grants): got '$got', want '$want'"
  say "$db: rows ok (companies services company_services customers no-company emails grants: $got)"
}

if [ "$REUSE_DB" = 1 ]; then
  [ "$(sql_at postgres "SELECT count(*) FROM pg_database WHERE datname = '$DB'")" = 1 ] \
    || die "--reuse-db: database $DB does not exist"
  CUSTOMERS=$(sql_at "$DB" "SELECT count(*) FROM customers WHERE account_id = (SELECT id FROM accounts WHERE name = '$ACCOUNT_NAME' ORDER BY created_at LIMIT 1)")
  [ "$KEEP" = 1 ] || say "--reuse-db: $DB will be kept (it was not created by this run)"
else
  prepare_db "$DB" "$CUSTOMERS"
fi
verify_counts "$DB" "$CUSTOMERS"

if [ "$SEARCH_ROWS" -gt 0 ]; then
  prepare_db "$SEARCH_DB" "$SEARCH_ROWS"
  verify_counts "$SEARCH_DB" "$SEARCH_ROWS"
fi

# Fixtures: ids and addresses the cases use (deterministic).
FIXTURES=$(sql_at "$DB" "
  WITH a AS (SELECT id FROM accounts WHERE name = '$ACCOUNT_NAME' ORDER BY created_at LIMIT 1),
  top AS (
    SELECT c.id, c.name, count(*) AS n FROM companies c JOIN customers u ON u.company_id = c.id
    WHERE c.account_id = (SELECT id FROM a)
    GROUP BY c.id, c.name, c.name_key ORDER BY count(*) DESC, c.name_key LIMIT 1),
  ordered AS (
    SELECT id, email, row_number() OVER (ORDER BY created_at, id) AS rn
    FROM customers WHERE account_id = (SELECT id FROM a))
  SELECT json_build_object(
    'accountId', (SELECT id FROM a),
    'companyId', (SELECT id FROM top),
    'companyName', (SELECT name FROM top),
    'companyEmployees', (SELECT n FROM top),
    'lookupEmails', (SELECT json_agg(email ORDER BY rn) FROM ordered
                     WHERE rn > $CUSTOMERS / 2 AND rn <= $CUSTOMERS / 2 + 100),
    'updateIds', (SELECT json_agg(id ORDER BY rn) FROM ordered
                  WHERE rn > $CUSTOMERS * 9 / 10 AND rn <= $CUSTOMERS * 9 / 10 + 100))")
[ -n "$FIXTURES" ] || die "cannot read the fixtures from $DB"

# ---------------------------------------------------------------- 3. servers
port_of() {
  case "$1" in
    roster) echo "$PORT_BASE" ;; pg4) echo $((PORT_BASE + 1)) ;; pg4x2) echo $((PORT_BASE + 2)) ;;
    pg5) echo $((PORT_BASE + 3)) ;; pg5x2) echo $((PORT_BASE + 4)) ;; roster_search) echo $((PORT_BASE + 5)) ;;
    rosterbase) echo $((PORT_BASE + 6)) ;;
  esac
}

# start_server NAME [DATABASE]: starts NAME in its own process group.
start_server() {
  local name=$1 db=${2:-$DB} port log
  port=$(port_of "$name")
  log="$WORK/$name.log"
  case "$name" in
    roster|roster_search|rosterbase)
      local bin=$ROSTER_BIN
      [ "$name" = rosterbase ] && bin=$BASELINE_BIN
      # sqlx negotiates TLS with a server that offers it (sslmode=prefer);
      # node-pg, under PostGraphile, does not. The same plain connection
      # for every server.
      env DATABASE_URL="$PG_BASE/$db?sslmode=disable" ROSTER_LISTEN="127.0.0.1:$port" ROSTER_DATA_DIR="$WORK/roster-data" \
        ROSTER_LOG=warn "${ROSTER_EXTRA_ENV[@]}" setsid "$bin" serve >>"$log" 2>&1 &
      ;;
    pg4|pg4x2)
      # -s public: Roster's tables live in the public schema.
      # No --no-ignore-indexes: it hides orderBy on columns that do not lead
      # an index, and Roster's orderings (created_at; sort_name, id) have
      # none; with the default (ignoreIndexes) both orderings exist.
      local workers=()
      local pool=$PG_POOL
      if [ "$name" = pg4x2 ]; then workers=(--cluster-workers 2); pool=$((PG_POOL / 2)); fi
      NODE_ENV=production setsid node "$HERE/pg4/node_modules/postgraphile/cli.js" \
        -c "$PG_BASE/$db" -s public -j -b --no-ignore-rbac --disable-query-log \
        -n 127.0.0.1 -p "$port" -m "$pool" "${workers[@]}" >>"$log" 2>&1 &
      ;;
    pg5|pg5x2)
      local workers=1 pool=$PG_POOL
      if [ "$name" = pg5x2 ]; then workers=2; pool=$((PG_POOL / 2)); fi
      (cd "$HERE/pg5" && NODE_ENV=production PG5_DATABASE_URL="$PG_BASE/$db" PG5_HOST=127.0.0.1 \
        PG5_PORT="$port" PG5_WORKERS="$workers" PG5_POOL_MAX="$pool" \
        exec setsid node --require ./polyfill.cjs server.mjs >>"$log" 2>&1) &
      ;;
  esac
  PID_OF[$name]=$!
}

# wait_ready NAME: until POST /graphql {__typename} answers 200 (90 s max).
wait_ready() {
  local name=$1 port pid code
  port=$(port_of "$name")
  pid=${PID_OF[$name]}
  for _ in $(seq 1 450); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$WORK/$name.log" >&2
      die "$name exited during start-up (log above: $WORK/$name.log)"
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X POST \
      -H 'content-type: application/json' --data '{"query":"{ __typename }"}' \
      "http://127.0.0.1:$port/graphql" || true)
    if [ "$code" = 200 ]; then
      case "$name" in *x2) sleep 5 ;; esac   # let the second worker finish its schema build
      return 0
    fi
    sleep 0.2
  done
  tail -n 30 "$WORK/$name.log" >&2
  die "$name did not answer on port $port within 90 s"
}

start_all() {
  for s in "${SERVER_LIST[@]}"; do start_server "$s"; done
  for s in "${SERVER_LIST[@]}"; do wait_ready "$s"; say "$s ready on 127.0.0.1:$(port_of "$s")"; done
}

roster_login() { # NAME EXPECTED_CUSTOMERS -> JSON {token, customerByEmail}
  node "$HERE/driver.mjs" login --url "http://127.0.0.1:$(port_of "$1")/graphql" \
    --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" --expect-customers "$2"
}

label_of() {
  case "$1" in
    roster) echo "Roster" ;;
    rosterbase) echo "Roster, baseline binary ($BASELINE_BIN)" ;;
    pg4) echo "PostGraphile 4.14.1, 1 process" ;;
    pg4x2) echo "PostGraphile 4.14.1, --cluster-workers 2" ;;
    pg5) echo "PostGraphile 5.1.5 amber, 1 process" ;;
    pg5x2) echo "PostGraphile 5.1.5 amber, 2 node:cluster workers" ;;
  esac
}
kind_of() { case "$1" in roster*) echo roster ;; pg4*) echo pg4 ;; pg5*) echo pg5 ;; esac; }

say "starting servers: ${SERVER_LIST[*]}"
start_all

ROSTER_JSON='{}'
if [ "$HAS_ROSTER" = 1 ]; then
  ROSTER_JSON=$(roster_login roster "$CUSTOMERS") || die "Roster does not read the benchmark data"
fi

SEARCH_JSON=null
if [ "$SEARCH_ROWS" -gt 0 ]; then
  start_server roster_search "$SEARCH_DB"
  wait_ready roster_search
  SEARCH_LOGIN=$(roster_login roster_search "$SEARCH_ROWS") || die "Roster does not read the search data"
  SEARCH_EXPECTED=$(sql_at "$SEARCH_DB" "SELECT least(20, count(*)) FROM customers WHERE last_name = 'Quixotry'")
  SEARCH_JSON=$(node -e '
    const [login, port, rows, kw, expected] = process.argv.slice(1);
    const l = JSON.parse(login);
    console.log(JSON.stringify({
      rows: Number(rows),
      server: { name: "roster_search", kind: "roster", label: "Roster (keyword search database)",
                url: `http://127.0.0.1:${port}/graphql`, token: l.token, features: {} },
      fixtures: { searchKeyword: kw, searchExpected: Number(expected) },
    }));' "$SEARCH_LOGIN" "$(port_of roster_search)" "$SEARCH_ROWS" "$SEARCH_KEYWORD" "$SEARCH_EXPECTED")
fi

# Statement counting setup: the PostgreSQL log and its line prefix.
COUNT_JSON=null
if [ "$COUNT" = 1 ]; then
  PG_MAJOR=$(sql_at postgres "SELECT current_setting('server_version_num')::int / 10000")
  if [ -z "$PG_LOG" ]; then
    PG_LOG=$(sql_at postgres "SELECT coalesce(pg_current_logfile(), '')" 2>/dev/null || true)
    if [ -n "$PG_LOG" ] && [ "${PG_LOG#/}" = "$PG_LOG" ]; then
      PG_LOG="$(sql_at postgres "SHOW data_directory")/$PG_LOG"
    fi
    [ -n "$PG_LOG" ] || PG_LOG="/var/log/postgresql/postgresql-$PG_MAJOR-main.log"
  fi
  PREFIX=$(sql_at postgres "SHOW log_line_prefix")
  if [ ! -r "$PG_LOG" ]; then
    say "WARNING: cannot read the PostgreSQL log $PG_LOG; statements will not be counted (pass --pg-log)"
    COUNT=0
  else
    PREFIX_HAS_DB=false
    case "$PREFIX" in *%d*) PREFIX_HAS_DB=true ;; esac
    if [ "$PREFIX_HAS_DB" = false ]; then
      say "WARNING: log_line_prefix '$PREFIX' has no %d; counting every statement logged while a server runs alone"
    fi
    COUNT_JSON=$(printf '{"logFile":"%s","db":"%s","prefixHasDb":%s,"requests":%s}' \
      "$PG_LOG" "$DB" "$PREFIX_HAS_DB" "$SEQ_REQUESTS")
  fi
fi

# ---------------------------------------------------------------- 4. config + check
CONFIG="$WORK/config.json"
SERVER_SPECS=""
for s in "${SERVER_LIST[@]}"; do
  SERVER_SPECS+="$s|$(kind_of "$s")|$(label_of "$s")|http://127.0.0.1:$(port_of "$s")/graphql"$'\n'
done
DATE=$(date -u +%Y-%m-%d)
MACHINE="$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -g | awk '/Mem:/{print $2}') GiB RAM, load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
PG_VERSION=$(sql_at postgres "SHOW server_version")
node -e '
  const fs = require("fs");
  const [specs, rosterJson, fixtures, search, count, cases, rounds, duration, warmup, conns, meta, out, pool] = process.argv.slice(1);
  const roster = JSON.parse(rosterJson);
  const servers = specs.trim().split("\n").map((l) => {
    const [name, kind, label, url] = l.split("|");
    const s = { name, kind, label, url };
    if (kind === "roster") { s.token = roster.token; s.features = { customerByEmail: !!roster.customerByEmail }; }
    else s.detail = `pool ${name.endsWith("x2") ? `${pool / 2} per worker` : pool}`;
    return s;
  });
  fs.writeFileSync(out, JSON.stringify({
    servers, fixtures: JSON.parse(fixtures), search: JSON.parse(search), count: JSON.parse(count),
    cases: cases.split(","), rounds: +rounds, duration: +duration, warmup: +warmup, connections: +conns,
    meta: JSON.parse(meta),
  }, null, 2));
' "$SERVER_SPECS" "$ROSTER_JSON" "$FIXTURES" "$SEARCH_JSON" "$COUNT_JSON" "$CASES" "$ROUNDS" "$DURATION" \
  "$WARMUP" "$CONNECTIONS" \
  "$(node -e 'console.log(JSON.stringify({date: process.argv[1], machine: process.argv[2], postgres: process.argv[3], roster: process.argv[4], data: process.argv[5]}))' \
      "$DATE" "$MACHINE" "$PG_VERSION" "$ROSTER_VERSION" \
      "$CUSTOMERS customers ($((CUSTOMERS / 23)) without company), 200 companies, 20 services, 1,000 company_services, $((CUSTOMERS * 2)) customer_services, one primary address each")" \
  "$CONFIG" "$PG_POOL"

if [ "$HAS_ROSTER" = 1 ]; then
  case "$ROSTER_JSON" in
    *'"customerByEmail":true'*) say "Roster has customerByEmail: case c uses it" ;;
    *) say "Roster has no customerByEmail: case c uses customers(first: 1, keyword: \$email)" ;;
  esac
fi
say "equivalence check (every case, every server)"
run node "$HERE/driver.mjs" check --config "$CONFIG" || die "the servers do not return the same data (see above)"

# ---------------------------------------------------------------- 5. load
RESULTS="$WORK/results.jsonl"
COUNTS="$WORK/counts.jsonl"
: >"$RESULTS"
: >"$COUNTS"
say "load: $ROUNDS rounds x ${#CASE_LIST[@]} cases x ${#SERVER_LIST[@]} servers, ${DURATION}s each after ${WARMUP}s warm-up, $CONNECTIONS connections"
LOAD_RC=0
run node "$HERE/driver.mjs" load --config "$CONFIG" --out "$RESULTS" || LOAD_RC=$?

if [ "$SEARCH_ROWS" -gt 0 ]; then
  say "case e: keyword search over $SEARCH_ROWS customers, 1 connection"
  run node "$HERE/driver.mjs" search --config "$CONFIG" --out "$RESULTS" || LOAD_RC=1
  stop_server roster_search
fi

# ---------------------------------------------------------------- 6. statements
if [ "$COUNT" = 1 ]; then
  say "counting SQL statements per request (log_statement=all on $DB, fresh server processes)"
  for s in "${SERVER_LIST[@]}"; do stop_server "$s"; done
  sql_at postgres "ALTER DATABASE $DB SET log_statement = 'all'"
  LOG_ALTERED=1
  for s in "${SERVER_LIST[@]}"; do
    start_server "$s"
    wait_ready "$s"
    run node "$HERE/driver.mjs" count --config "$CONFIG" --server "$s" --out "$COUNTS" \
      || die "statement counting failed for $s"
    stop_server "$s"
  done
  sql_at postgres "ALTER DATABASE $DB RESET log_statement"
  LOG_ALTERED=0
fi

# ---------------------------------------------------------------- 7. report
mkdir -p "$OUT_DIR"
MD="$OUT_DIR/results-$DATE.md"
[ -e "$MD" ] && MD="$OUT_DIR/results-$DATE-$(date -u +%H%M%S).md"
node "$HERE/driver.mjs" report --config "$CONFIG" --results "$RESULTS" --counts "$COUNTS" --md "$MD"
cp "$RESULTS" "${MD%.md}.jsonl"
[ -s "$COUNTS" ] && cp "$COUNTS" "${MD%.md}.statements.jsonl"
say "results: $MD"
[ "$LOAD_RC" = 0 ] || die "some load runs had bad responses (see above; raw results in ${MD%.md}.jsonl)"
say "done"
