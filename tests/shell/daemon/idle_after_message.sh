#!/usr/bin/env bash
# An idle bridge keeps its slot advancing after a non-transactional logical message
# (pg_logical_emit_message(false, …)): such a frame carries nothing to apply, so it must not
# count as work in progress that holds the confirmed position (and the reported applied one).
#   tests/shell/daemon/idle_after_message.sh BUILD_DIR
export DUALWRITE_PROGRESS_STATUS_INTERVAL=500ms
source "$(dirname "$0")/lib.sh" "$1" idle
start_daemon

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
