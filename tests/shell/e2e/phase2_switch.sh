#!/usr/bin/env bash
# End-to-end: the Phase 2 switch and its rollback with `dualwrite run` streaming.
#   1. A large legacy transaction commits right before the switch, and the bridge is held up
#      (another session locks a table it writes for a few seconds), so it is still applying it
#      when the switch locks the legacy tables: the switch must wait for the running bridge (the
#      fence: no unapplied commit left in a copy of its slot) and only then move the names. When
#      it returns every legacy row is in the new tables, and they equal what mapping.md computes
#      from the (now frozen) legacy tables: not one legacy write was lost at the switch.
#   2. Writes through the views while the daemon runs; the daemon keeps running (the frozen
#      legacy tables give it nothing to do).
#   3. The rollback with the daemon still running: the back-copy is written while the tables are
#      in schema legacy, which the bridge does not translate, so the new tables get no duplicate;
#      the next legacy write is carried again.
#
#   tests/shell/e2e/phase2_switch.sh BUILD_DIR
#
# Uses the test server (DUALWRITE_TEST_CONNINFO) with a database of its own; the slot and the
# replication origin are named after it and dropped with it.
set -euo pipefail
source "$(dirname "$0")/../lib/children.sh"
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:?usage: phase2_switch.sh BUILD_DIR}
bin=$build/dualwrite
: "${DUALWRITE_TEST_CONNINFO:?set DUALWRITE_TEST_CONNINFO to a conninfo of the test server (scripts/dev-db up prints one)}"

with_db() {
  local base=$1 db=$2
  if [[ "$base" =~ (^|[[:space:]])dbname=[^[:space:]]* ]]; then
    printf '%s\n' "$base" | sed -E "s/(^|[[:space:]])dbname=[^[:space:]]*/\1dbname=$db/"
  else
    printf '%s dbname=%s\n' "$base" "$db"
  fi
}
db="p2switch_$$_$(date +%s)"
admin=$(with_db "$DUALWRITE_TEST_CONNINFO" postgres)
conn=$(with_db "$DUALWRITE_TEST_CONNINFO" "$db")
work=$(mktemp -d)
daemon_pid=""
cleanup() {
  signal_child KILL "$daemon_pid" && wait "$daemon_pid" 2>/dev/null
  # The walsender of a killed daemon takes a moment to release the slot.
  for _ in $(seq 1 50); do
    [ "$(psql -X -qtA "$admin" -c "SELECT count(*) FROM pg_replication_slots WHERE database = '$db' AND active" 2>/dev/null)" = 0 ] && break
    psql -X -q "$admin" -c "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '$db' AND active" >/dev/null 2>&1 || true
    sleep 0.1
  done
  psql -X -q "$admin" >/dev/null 2>&1 <<SQL || true
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$db';
SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname LIKE '$db%';
DROP DATABASE IF EXISTS "$db" WITH (FORCE);
SQL
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- daemon log (last 30 lines)"; tail -30 "$work/daemon.log" || true; exit 1; }
sql() { psql -X -qtA -v ON_ERROR_STOP=1 "$conn" "$@"; }
# Waits until the row of `query` exists (the bridge applied it), at most 60 s.
wait_for() { for _ in $(seq 1 600); do [ "$(sql -c "$1")" -ge 1 ] && return 0; sleep 0.1; done; return 1; }

psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE \"$db\" TEMPLATE dualwrite_template"
"$root/scripts/migrate" "$conn" --dir "$root/sql/phase2" >/dev/null

export DUALWRITE_SOURCE_CONNINFO=$conn
export DUALWRITE_SOURCE_SLOT=${db}_slot
export DUALWRITE_SOURCE_ORIGIN=${db}_origin
export DUALWRITE_METRICS_LISTEN=""
"$bin" run >>"$work/daemon.log" 2>&1 &
daemon_pid=$!
# Streaming: the slot is created on one replication connection and streamed on another, so wait
# for the walsender that streams it.
streaming=0
for _ in $(seq 1 300); do
  if [ "$(sql -c "SELECT count(*) FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid
                  WHERE s.slot_name = '${db}_slot' AND r.state = 'streaming'")" = 1 ]; then
    streaming=1
    break
  fi
  sleep 0.1
done
[ "$streaming" = 1 ] || fail "the daemon did not start streaming"

# Users, links and catalog; every user linked, so that nothing is dead-lettered.
sql -f "$root/bench/workload/setup.sql" >/dev/null
sql -c "INSERT INTO public.account_linkages (user_id, account_id)
        SELECT md5('user' || i)::uuid, md5('account' || i)::uuid FROM generate_series(10, 2000, 10) i"
wait_for "SELECT count(*) FROM public.account_user_links WHERE supabase_user_id = md5('user2000')::uuid" \
  || fail "the links were not applied"

# 1. The large transaction, then the switch at once; meanwhile another session holds the bridge
#    up (a lock on a table it writes) for a few seconds, so that the switch must wait for it
#    whatever this machine's speed.
psql -X -q -v ON_ERROR_STOP=1 "$conn" >"$work/holdup.out" 2>&1 <<'SQL' &
BEGIN;
LOCK TABLE public.activity_interactions IN EXCLUSIVE MODE;
SELECT pg_sleep(4);
COMMIT;
SQL
holdup=$!
sleep 0.5
sql -c "INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type, created_at)
        SELECT md5('user' || (1 + i % 2000))::uuid, 'act-' || (1 + i % 400),
               (ARRAY['view', 'skip', 'booked', 'shared'])[1 + i % 4], now() - i * interval '1 second'
          FROM generate_series(1, 60000) i"
behind=$(sql -c "SELECT pg_replication_origin_progress('${db}_origin', true) < pg_current_wal_lsn()")
start=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 "$conn" -v slot="${db}_slot" -v origin="${db}_origin" -v wait=120s \
  -f "$root/sql/phase2/switch.sql" >"$work/switch.out" 2>&1 || { cat "$work/switch.out"; fail "the switch failed"; }
took=$(echo "$(date +%s.%N) - $start" | bc)
wait "$holdup" || fail "the session holding the bridge up failed: $(cat "$work/holdup.out")"
# At once, before the bridge could finish later: everything is there when the switch returns.
at_switch=$(sql -c "SELECT count(*) FROM public.activity_interactions")
[ "$behind" = t ] || fail "the bridge had already applied the transaction: the switch had nothing to wait for"
[ "$at_switch" = 60000 ] || fail "the switch returned with $at_switch of the 60000 legacy rows applied"
echo "ok: the switch waited ${took}s for the running bridge, then went through"
[ "$(sql -c "SELECT compat.switched()")" = t ] || fail "not switched"
diff=$(sql -c "SELECT table_name || ' ' || key || ' ' || problem FROM dualwrite_expected.diff_all(20)")
[ -z "$diff" ] || { echo "$diff"; fail "legacy writes are missing from the new tables after the switch"; }
[ "$(sql -c "SELECT count(*) FROM public.activity_feedback")" = 60000 ] || fail "the view does not show the 60000 rows"
echo "ok: the new tables hold every legacy write (dualwrite_expected.diff_all is empty)"

# 2. Through a view, with the daemon running.
sql -c "INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type) VALUES (md5('user7')::uuid, 'through-the-view', 'like')"
sleep 1
kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon died after the switch"
echo "ok: a write through the view; the daemon keeps running"

# 3. Roll back with the daemon running; then a legacy write is carried again, the copy is not.
psql -X -q -v ON_ERROR_STOP=1 "$conn" -f "$root/sql/phase2/rollback.sql" >"$work/rollback.out" 2>&1 \
  || { cat "$work/rollback.out"; fail "the rollback failed"; }
[ "$(sql -c "SELECT count(*) FROM public.activity_feedback WHERE activity_slug = 'through-the-view'")" = 1 ] \
  || fail "the row written through the view is not in the legacy table after the rollback"
sql -c "INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type) VALUES (md5('user8')::uuid, 'after-rollback', 'view')"
wait_for "SELECT count(*) FROM public.activity_interactions WHERE activity_slug = 'after-rollback'" \
  || fail "a legacy write after the rollback was not carried"
[ "$(sql -c "SELECT count(*) FROM public.activity_interactions WHERE activity_slug = 'through-the-view'")" = 1 ] \
  || fail "the copied-back row was applied again by the bridge"
diff=$(sql -c "SELECT table_name || ' ' || key || ' ' || problem FROM dualwrite_expected.diff_all(20)")
[ -z "$diff" ] || { echo "$diff"; fail "the new tables differ from the legacy tables after the rollback"; }
# The switched tables (schema legacy) are known to the bridge: their writes are not letters.
[ "$(sql -c "SELECT count(*) FROM dualwrite.dead_letters WHERE reason = 'schema_mismatch'")" = 0 ] \
  || fail "the switch or the rollback made schema_mismatch letters: $(sql -c "SELECT source_table, detail FROM dualwrite.dead_letters WHERE reason = 'schema_mismatch' LIMIT 3")"
echo "ok: after the rollback the bridge carries legacy writes again and never saw the copy; the tables agree"

kill -TERM "$daemon_pid"
status=0
wait "$daemon_pid" || status=$?
daemon_pid=""
[ "$status" = 0 ] || fail "SIGTERM: exit status $status, expected 0"
