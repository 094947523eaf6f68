#!/bin/bash
# Profiles Roster (perf, call graphs) under each case of the comparison:
# loads nothing (--reuse-db: run run.sh --keep once before), records
# /tmp/roster/perf-<case>.data for 8 s of each case.
mkdir -p /tmp/roster
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
LOG=/tmp/roster/compare2.log
: > $LOG
(cd "$ROOT" && bash bench/compare/run.sh --no-build --servers roster --rounds 1 --duration 14 --warmup 2 --no-count --keep --reuse-db 2>&1 | while IFS= read -r l; do echo "$(date +%T) $l"; done > $LOG) &
rec() { sleep 4; P=$(pgrep -n -f "release/roster serve"); perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p $P -o /tmp/roster/perf-$1.data -- sleep 8 > /dev/null 2>&1; }
seen=""
for i in $(seq 1 400); do
  sleep 0.25
  if grep -q "==> load:" $LOG && [[ $seen != *a* ]]; then seen+=a; rec a & fi
  if grep -q "load \[1/4\]" $LOG && [[ $seen != *b* ]]; then seen+=b; rec b & fi
  if grep -q "load \[2/4\]" $LOG && [[ $seen != *c* ]]; then seen+=c; rec c & fi
  if grep -q "load \[3/4\]" $LOG && [[ $seen != *d* ]]; then seen+=d; rec d & fi
  grep -q "==> done" $LOG && break
done
wait
