#!/usr/bin/env bash
# What `dualwrite bootstrap` refuses, each with one line and exit status 2, and what it accepts:
# an existing slot (unless --reuse-slot, which then streams from the slot's position), new
# tables that already hold rows, a target that is not the source database, a malformed option;
# a finished bootstrap is not run twice.
#   tests/shell/bootstrap/bootstrap_refusals.sh BUILD_DIR
source "$(dirname "$0")/lib.sh" "$1" 0.02
failures=0
check() {  # check NAME EXPECTED_STATUS EXPECTED_OUTPUT_REGEX -- COMMAND...
  local name=$1 want=$2 pattern=$3; shift 4
  local out status=0
  out=$("$@" 2>&1) || status=$?
  if [ "$status" != "$want" ] || ! grep -Eq -- "$pattern" <<<"$out"; then
    echo "FAIL $name: status $status (want $want), output: $out"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

check "malformed --progress-interval" 2 "progress-interval takes a duration" -- \
  "$bin" bootstrap --progress-interval soon
check "chunk rows out of range" 2 "chunk-rows" -- "$bin" bootstrap --chunk-rows 1
other=$(sed "s/dbname=[^ ]*/dbname=dualwrite_template/" <<<"$DUALWRITE_TEST_CONNINFO")
check "target is another database" 2 "must name the source database" -- \
  env DUALWRITE_TARGET_CONNINFO="$other" "$bin" bootstrap

sql -c "SELECT pg_create_logical_replication_slot('$db', 'pgoutput')" >/dev/null
check "existing slot" 2 "already exists.*--reuse-slot" -- "$bin" bootstrap
[ "$(sql -c "SELECT count(*) FROM public.accounts")" = 0 ] || { echo "FAIL refusal wrote rows"; failures=$((failures + 1)); }
slot_lsn=$(sql -c "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$db'")
check "--reuse-slot" 0 "reusing slot $db at $slot_lsn" -- "$bin" bootstrap --reuse-slot
origin=$(sql -c "SELECT pg_replication_origin_progress('$db', true)")
[ "$origin" = "$slot_lsn" ] || { echo "FAIL origin at $origin, want the slot's $slot_lsn"; failures=$((failures + 1)); }
diff=$(sql -c "SELECT count(*) FROM dualwrite_expected.diff_all(NULL)")
[ "$diff" = 0 ] || { echo "FAIL reused-slot backfill differs from the mapping in $diff rows"; failures=$((failures + 1)); }
check "finished bootstrap is not run twice" 0 "already finished" -- "$bin" bootstrap
sql -c "DELETE FROM dualwrite.bootstrap" >/dev/null
check "new tables hold rows" 2 "already hold rows \(public.accounts" -- "$bin" bootstrap --reuse-slot

[ "$failures" = 0 ] || exit 1
echo "ok: bootstrap refusals"
