#!/usr/bin/env bash
# Issue 12 item 5: while the target is down, or a target table is locked, under writes:
#   - the lag gauges grow (lag from the source's current WAL position and the oldest unapplied
#     commit, computed off the apply thread), and fall back once the target is back;
#   - each connection's gauge and /readyz tell the truth (source_replication, target_apply,
#     dualwrite_source_connected; /readyz red on the stall);
#   - the watchdog keeps being fed (WATCHDOG=1 at most ~5 s apart with WatchdogSec 10 s), also
#     while a statement waits on the lock;
# and afterwards everything written during the outage is applied.
#   tests/shell/outage/target_outage.sh BUILD_DIR
export DUALWRITE_RECONNECT_MAX_BACKOFF=2s DUALWRITE_METRICS_READY_MAX_STALL=8s
source "$(dirname "$0")/lib.sh" "$1" tout
start_proxy target
export DUALWRITE_TARGET_CONNINFO="host=127.0.0.1 port=$proxy_port dbname=$db user=postgres"
start_notify
run_daemon
wait_streaming "$conn" "$db" || fail "the daemon did not start streaming"
start_writer
sleep 1
wait_caught_up 20 || fail "not caught up before the outage"

echo "phase 1: the target is down for 16 s"
down_at=$(date +%s.%N)
proxy_mode target down
sleep 6
lag1=$(metric dualwrite_replication_lag_seconds); bytes1=$(metric dualwrite_replication_lag_bytes)
src=$(metric dualwrite_source_connected)
target_gauge=$(metric 'dualwrite_connection_up{connection="target_apply"}')
ready=$(readyz)
sleep 8
lag2=$(metric dualwrite_replication_lag_seconds); bytes2=$(metric dualwrite_replication_lag_bytes)
echo "lag during the outage: ${lag1}s ${bytes1}B, then ${lag2}s ${bytes2}B"
gt "$lag1" 3 || fail "lag seconds $lag1 after 6 s of target outage under writes"
gt "$lag2" "$(python3 -c "print(${lag1:-0} + 5)")" || fail "lag seconds did not grow: $lag1 -> $lag2"
gt "$bytes2" "${bytes1:-0}" || fail "lag bytes did not grow: $bytes1 -> $bytes2"
[ "$target_gauge" = 0 ] || fail "target_apply gauge is '$target_gauge' while the target is down"
if [ "$src" = 1 ]; then grep -q '\[+\]source' <<<"$ready" || fail "source gauge 1 but /readyz: $ready"
else grep -q '\[-\]source' <<<"$ready" || fail "source gauge 0 but /readyz: $ready"; fi
grep -q '\[-\]target' <<<"$ready" || fail "/readyz does not say the target is down: $ready"
sleep 2
gap=$(watchdog_gap "$down_at" "$(date +%s.%N)")
python3 -c "import sys; sys.exit(0 if $gap <= 7.5 else 1)" || fail "WATCHDOG=1 gap of $gap s while the target was down"
proxy_mode target up
wait_caught_up 60 || fail "changes written while the target was down were not applied"
for _ in $(seq 1 40); do [ "$(readyz_code)" = 200 ] && break; sleep 0.5; done
[ "$(readyz_code)" = 200 ] || fail "/readyz not ok after the target came back: $(readyz)"
gt "$(metric 'dualwrite_errors_total{stage="target_connect"}')" 0 || fail "failed target connections not counted"

echo "phase 2: the table the changes go to is locked for 18 s"
lock_at=$(date +%s.%N)
psql -X -q "$conn" -c "BEGIN; LOCK TABLE dualwrite.dead_letters IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(18); COMMIT" >/dev/null &
lock_pid=$!
sleep 11
lag1=$(metric dualwrite_replication_lag_seconds); wait1=$(metric dualwrite_target_wait_seconds)
ready=$(readyz)
sleep 4
lag2=$(metric dualwrite_replication_lag_seconds)
echo "lag while locked: ${lag1}s then ${lag2}s; waiting ${wait1}s for the target"
gt "$lag1" 7 || fail "lag seconds $lag1 after 11 s of a locked table under writes"
gt "$lag2" "$(python3 -c "print(${lag1:-0} + 2)")" || fail "lag seconds did not grow while locked: $lag1 -> $lag2"
gt "$wait1" 5 || fail "dualwrite_target_wait_seconds $wait1 while a statement waits on a lock"
grep -q '\[-\]progress' <<<"$ready" || fail "/readyz does not report the stall: $ready"
gap=$(watchdog_gap "$lock_at" "$(date +%s.%N)")
python3 -c "import sys; sys.exit(0 if $gap <= 7.5 else 1)" || fail "WATCHDOG=1 gap of $gap s while a statement waited on a lock"
wait "$lock_pid"
wait_caught_up 60 || fail "changes written while the table was locked were not applied"
stop_writer
wait_caught_up 30 || fail "not caught up at the end"
kill -TERM "$daemon_pid"; wait "$daemon_pid" || fail "the daemon did not exit 0 on SIGTERM"
daemon_pid=""
echo "ok: lag grew through a target outage and a lock, gauges and /readyz told the truth, the watchdog was fed, nothing was lost"
