#!/usr/bin/env bash
# Issue 12 item 8: a server that accepts TCP and never answers must not hang the daemon.
#   1. as the source (and so the target) at start-up: each connection attempt times out
#      (connect_timeout, 10 s by default), is logged, and retried; SIGTERM ends the wait within
#      a few seconds (exit 0);
#   2. as the target while the daemon streams (a proxy that goes silent mid-stream): SIGTERM
#      ends the wait on the silent target within a few seconds.
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
echo "ok: a silent server was logged and waited out, and SIGTERM ended every wait within seconds"
