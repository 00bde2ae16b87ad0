#!/usr/bin/env bash
# A commit the bridge has applied is confirmed to the source within seconds, not at the next
# periodic status update: with `status_interval` at 60 s, one small transaction must show in
# the slot's confirmed_flush_lsn (which releases its WAL) and the walsender's replay_lsn (which
# pg_stat_replication dashboards read) well before that.
#   tests/shell/daemon/confirms_promptly.sh BUILD_DIR
export DUALWRITE_PROGRESS_STATUS_INTERVAL=60s
source "$(dirname "$0")/lib.sh" "$1" prompt
start_daemon
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
