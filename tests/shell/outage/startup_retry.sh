#!/usr/bin/env bash
# Issue 12 item 9: start-up with the database down waits for it instead of exiting.
#   1. the source (and target) refuse connections at start: the daemon retries with the
#      reconnect backoff, logs each attempt, extends systemd's start timeout, and sends READY=1
#      only once it streams, after the database comes up;
#   2. a database that does not exist is not waited for: exit 4 (source) at once, one line.
#   tests/shell/outage/startup_retry.sh BUILD_DIR
export DUALWRITE_RECONNECT_MAX_BACKOFF=1s
source "$(dirname "$0")/lib.sh" "$1" startup
start_proxy db
start_notify
proxy_mode db down
export DUALWRITE_SOURCE_CONNINFO="host=127.0.0.1 port=$proxy_port dbname=$db user=postgres"
run_daemon
sleep 8
kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon exited while the database was down"
attempts=$(grep -c "start-up attempt" "$log" || true)
[ "$attempts" -ge 3 ] || fail "$attempts start-up attempts logged in 8 s"
grep -q "READY=1" "$work/notify.log" && fail "READY=1 sent before streaming"
grep -q "EXTEND_TIMEOUT_USEC=" "$work/notify.log" || fail "systemd's start timeout was not extended"
proxy_mode db up
for _ in $(seq 1 200); do grep -q "READY=1" "$work/notify.log" && break; sleep 0.1; done
grep -q "READY=1" "$work/notify.log" || fail "no READY=1 within 20 s of the database coming up"
wait_streaming "$conn" "$db" || fail "READY=1 but not streaming"
write_row >/dev/null
wait_caught_up 20 || fail "not applied after a start-up that waited"
kill -TERM "$daemon_pid"; wait "$daemon_pid" || fail "exit status $? after SIGTERM"
daemon_pid=""
echo "  waited through $attempts start-up attempts, READY=1 once streaming"

: >"$log"
started=$(date +%s.%N)
set +e
DUALWRITE_SOURCE_CONNINFO="host=127.0.0.1 port=$port_of_conn dbname=${db}_missing user=postgres" \
  "$bin" run >"$log" 2>&1
code=$?
set -e
took=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
[ "$code" = 4 ] || fail "a missing source database: exit $code, expected 4 (source)"
python3 -c "import sys; sys.exit(0 if $took < 10 else 1)" || fail "took $took s to give up on a missing database"
grep -q "does not exist" "$log" || fail "the log does not say why"
echo "ok: a database down at start-up is waited for (READY=1 once streaming); a missing one exits 4 at once"
