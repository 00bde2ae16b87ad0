#!/usr/bin/env bash
# An idle bridge keeps its slot advancing after a non-transactional logical message
# (pg_logical_emit_message(false, …)): such a frame carries nothing to apply, so it must not
# count as work in progress that holds the confirmed position (and the reported applied one).
#   tests/shell/daemon/idle_after_message.sh BUILD_DIR
set -euo pipefail
bin=${1:?usage: $0 BUILD_DIR}/dualwrite
: "${DUALWRITE_TEST_CONNINFO:?run through scripts/test (DUALWRITE_TEST_CONNINFO is not set)}"
db=idle_$$_$RANDOM
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
export DUALWRITE_METRICS_LISTEN="" DUALWRITE_PROGRESS_STATUS_INTERVAL=500ms
"$bin" run >"$log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do
  [ "$(sql -c "SELECT count(*) FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = '$db' AND s.confirmed_flush_lsn IS NOT NULL AND r.state IN ('catchup', 'streaming')")" = 1 ] && break
  sleep 0.1
done

message=$(sql -c "SELECT pg_logical_emit_message(false, 'dualwrite-test', 'not a change')")
# More WAL after it, none of it a change the bridge streams.
sql -c "CREATE TABLE unrelated (n int); INSERT INTO unrelated SELECT generate_series(1, 100)"
after=$(sql -c "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 150); do
  [ "$(sql -c "SELECT confirmed_flush_lsn >= '$after' FROM pg_replication_slots WHERE slot_name = '$db'")" = t ] && break
  kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon exited"
  sleep 0.1
done
confirmed=$(sql -c "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$db'")
[ "$(sql -c "SELECT '$confirmed'::pg_lsn >= '$after'")" = t ] \
  || fail "the slot stayed at $confirmed after a logical message at $message (WAL went on to $after)"
echo "ok: the slot advanced past a non-transactional logical message ($message -> $confirmed)"
