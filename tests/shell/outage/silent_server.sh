#!/usr/bin/env bash
# Issue 12 item 8: a server that accepts TCP and never answers must not hang the daemon.
#   1. as the source (and so the target) at start-up: each connection attempt times out
#      (connect_timeout, 10 s by default), is logged, and retried; SIGTERM ends the wait within
#      a few seconds (exit 0);
#   2. as the target while the daemon streams (a proxy that goes silent mid-stream): SIGTERM
#      ends the wait on the silent target within a few seconds;
#   3. the same while a large transaction is applied live (streamed_transactions = "live"), so
#      that the apply thread waits on the live applier's own connection, not the main one.
#   tests/shell/outage/silent_server.sh BUILD_DIR
source "$(dirname "$0")/lib.sh" "$1" silent
start_silent
# stop_within SECONDS: SIGTERM, then the daemon must be gone (exit 0) within SECONDS.
stop_within() {
  local sent
  sent=$(date +%s.%N)
  kill -TERM "$daemon_pid"
  for _ in $(seq 1 $(($1 * 10))); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$daemon_pid" 2>/dev/null && fail "still running $1 s after SIGTERM"
  wait "$daemon_pid"; local code=$?
  daemon_pid=""
  echo "  exited $code after $(python3 -c "import time; print(f'{time.time() - $sent:.1f}')") s"
  [ "$code" = 0 ] || fail "exit status $code after SIGTERM"
}

echo "1: the source never answers"
DUALWRITE_SOURCE_CONNINFO="host=127.0.0.1 port=$silent_port dbname=x user=x" run_daemon
for _ in $(seq 1 250); do grep -q "timed out after" "$log" && break; sleep 0.1; done
grep -q "timed out after" "$log" || fail "no log line within 25 s while the source never answers"
grep -m1 "timed out after" "$log"
kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon gave up on a silent source"
sleep 2  # SIGTERM while a connection attempt waits
stop_within 5

echo "2: the target goes silent while the daemon streams"
: >"$log"
start_proxy target
export DUALWRITE_TARGET_CONNINFO="host=127.0.0.1 port=$proxy_port dbname=$db user=postgres"
run_daemon
wait_streaming "$conn" "$db" || fail "the daemon did not start streaming"
write_row >/dev/null
wait_caught_up 20 || fail "not applied before the target went silent"
proxy_mode target silent
write_row >/dev/null
sleep 5  # the apply now waits on a target that does not answer
stop_within 8
grep -q "ending a wait on the target" "$log" || fail "the ended wait was not logged"

echo "3: the target goes silent while a large transaction is applied live"
: >"$log"
proxy_mode target up
# The walsender streams a transaction once its changes pass 64kB: it goes live at once.
export DUALWRITE_APPLY_STREAMED_TRANSACTIONS=live
export DUALWRITE_SOURCE_CONNINFO="$conn options='-c logical_decoding_work_mem=64kB'"
run_daemon
wait_streaming "$conn" "$db" || fail "the daemon did not start streaming (live)"
wait_caught_up 20 || fail "not caught up before the large transaction"
rows="WITH u AS (INSERT INTO auth.users (id) SELECT gen_random_uuid() FROM generate_series(1, 3000)
                RETURNING id)
      INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type)
      SELECT id, 'surf', 'view' FROM u;"
# Rows, a pause (the proxy goes silent), rows again (the live applier now waits on it), and an
# open transaction until the test ends.
sql -c "BEGIN" -c "$rows" -c "SELECT pg_sleep(4)" -c "$rows" -c "SELECT pg_sleep(60)" \
    -c "ROLLBACK" >/dev/null 2>&1 &
writer_pid=$!
for _ in $(seq 1 40); do grep -q "is applied as it streams" "$log" && break; sleep 0.1; done
grep -q "is applied as it streams" "$log" || fail "the large transaction did not go live"
sleep 1
proxy_mode target silent
sleep 6  # the second block arrives; the live applier waits on a target that does not answer
stop_within 8
grep -q "ending a wait on the target" "$log" || fail "the ended wait was not logged (live)"
stop_writer
echo "ok: a silent server was logged and waited out, and SIGTERM ended every wait within seconds"
