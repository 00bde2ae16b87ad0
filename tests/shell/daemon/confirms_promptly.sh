#!/usr/bin/env bash
# A commit the bridge has applied is confirmed to the source within seconds, not at the next
# periodic status update: with `status_interval` at 60 s, one small transaction must show in
# the slot's confirmed_flush_lsn (which releases its WAL) and the walsender's replay_lsn (which
# pg_stat_replication dashboards read) well before that.
#   tests/shell/daemon/confirms_promptly.sh BUILD_DIR
set -euo pipefail
bin=${1:?usage: $0 BUILD_DIR}/dualwrite
: "${DUALWRITE_TEST_CONNINFO:?run through scripts/test (DUALWRITE_TEST_CONNINFO is not set)}"
db=prompt_$$_$RANDOM
admin=$DUALWRITE_TEST_CONNINFO
conn=$(sed "s/dbname=[^ ]*/dbname=$db/" <<<"$DUALWRITE_TEST_CONNINFO")
log=$(mktemp)
daemon_pid=""
sql() { psql -X -qtA -v ON_ERROR_STOP=1 "$conn" "$@"; }
cleanup() {
  [ -n "$daemon_pid" ] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  psql -X -q "$admin" -c "SELECT pg_drop_replication_slot('$db') FROM pg_replication_slots WHERE slot_name = '$db'" \
       -c "SELECT pg_replication_origin_drop('$db') FROM pg_replication_origin WHERE roname = '$db'" \
       -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -f "$log"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -20 "$log"; exit 1; }

psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE $db TEMPLATE dualwrite_template" >/dev/null
export DUALWRITE_SOURCE_CONNINFO=$conn DUALWRITE_SOURCE_SLOT=$db DUALWRITE_SOURCE_ORIGIN=$db
export DUALWRITE_METRICS_LISTEN="" DUALWRITE_PROGRESS_STATUS_INTERVAL=60s
"$bin" run >"$log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do
  [ "$(sql -c "SELECT count(*) FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = '$db' AND s.confirmed_flush_lsn IS NOT NULL AND r.state IN ('catchup', 'streaming')")" = 1 ] && break
  sleep 0.1
done
# Let the status update sent at connect go by, so that the next one is not due by time.
sleep 2

sql -c "INSERT INTO auth.users (id) VALUES ('c0000000-0000-4000-8000-0000000000aa');
        INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type)
        VALUES ('c0000000-0000-4000-8000-0000000000aa', 'surf', 'view')"
after=$(sql -c "SELECT pg_current_wal_lsn()")
started=$(date +%s.%N)
for _ in $(seq 1 150); do
  [ "$(sql -c "SELECT s.confirmed_flush_lsn >= '$after' AND r.replay_lsn >= '$after' FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = '$db'")" = t ] && break
  kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon exited"
  sleep 0.1
done
took=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
[ "$(sql -c "SELECT confirmed_flush_lsn >= '$after' FROM pg_replication_slots WHERE slot_name = '$db'")" = t ] \
  || fail "the commit before $after was not confirmed within 15 s (status_interval 60s)"
echo "ok: a small commit was confirmed to the source ${took} s after it (status_interval 60s)"
