#!/usr/bin/env bash
# End-to-end: [apply] streamed_transactions = "live" (apply/live.hpp). Large source
# transactions stream while the mixed workload commits around them; the daemon is killed with
# SIGKILL while they are applied live, right after their commits (at Stream Commit), and while
# they are applied from their spools after giving way (the workload's links and likes make them
# give way now and then); one large transaction rolls back, one rolls a savepoint back. Then a
# large transaction alone must be committed live, and the new tables must equal what mapping.md
# computes from the legacy tables.
#
#   tests/shell/e2e/live_kill.sh BUILD_DIR [KILLS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:?usage: live_kill.sh BUILD_DIR [KILLS]}
kills=${2:-12}
bin=$build/dualwrite

source "$root/tests/shell/e2e/lib.sh"
e2e_setup e2e-live
# Large transactions stream after 1MB of decoded changes instead of 64MB: they stream (and go
# live) within a second of starting.
sql -c "ALTER SYSTEM SET logical_decoding_work_mem = '1MB'" -c "SELECT pg_reload_conf()" >/dev/null

export DUALWRITE_APPLY_STREAMED_TRANSACTIONS=live
export DUALWRITE_APPLY_LIVE_LOCK_TIMEOUT=500ms
workload() {  # workload SECONDS: the mixed workload, 150 transactions/s
  e2e_workload "$1" 150
}
# One large transaction: STATEMENTS statements of 4000 activity_feedback rows of the workload's
# users, 0.3 s apart, ended by END (COMMIT or ROLLBACK); FROM offsets the rows' n.
large() {
  local statements=$1 end=$2 from=$3 k body=""
  for k in $(seq 0 $((statements - 1))); do
    [ "$k" = 2 ] && body+="SAVEPOINT s; "
    body+="INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type, score, metadata)
SELECT md5('user' || (g % 2000 + 1 - CASE WHEN (g % 2000 + 1) % 10 = 0 THEN 1 ELSE 0 END))::uuid,
       'act-' || (g % 400 + 1),
       (ARRAY['view','skip','dislike','booked','shared','view','like','save','view','view'])[1 + g % 10],
       (g % 100) / 10.0, jsonb_build_object('large', $from, 'n', g)
  FROM generate_series($((from + k * 4000 + 1)), $((from + (k + 1) * 4000))) g;
DO 'BEGIN PERFORM pg_sleep(0.3); END';
"
    [ "$k" = 3 ] && body+="ROLLBACK TO SAVEPOINT s; "
  done
  sql <<SQL
BEGIN;
$body
$end;
SQL
}

start_daemon
e2e_wait_slot
sql -f "$root/bench/workload/setup.sql" >/dev/null

echo "phase 1: large transactions (one rolled back) under the workload, $kills kills -9"
workload $((kills * 2 + 10)) &
bench_pid=$!
( large 12 COMMIT 0 && large 10 ROLLBACK 100000 && large 12 COMMIT 200000 && large 12 COMMIT 300000 ) &
big_pid=$!
for i in $(seq 1 "$kills"); do
  sleep "1.$(( RANDOM % 9 ))"
  e2e_kill_restart
done
wait "$big_pid" || fail "a large transaction failed"
big_pid=""
# Right after a commit: the daemon dies at (or just before or after) Stream Commit.
large 8 COMMIT 400000
e2e_kill_restart
wait "$bench_pid" || fail "the workload failed (see $work/pgbench.log)"
bench_pid=""

echo "phase 2: a large transaction alone is committed live"
before=$(grep -c "committed live" "$work/daemon.log" || true)
large 8 COMMIT 500000
for _ in $(seq 1 600); do
  [ "$(grep -c "committed live" "$work/daemon.log" || true)" -gt "$before" ] && break
  sleep 0.1
done
[ "$(grep -c "committed live" "$work/daemon.log" || true)" -gt "$before" ] \
  || fail "the last large transaction was not committed live"

# Catch up: a marker row is the last change; once it is applied, everything before it is.
e2e_catch_up

e2e_stop_daemon

rolled_back=$(sql -c "SELECT count(*) FROM activity_interactions WHERE metadata ->> 'large' = '100000'")
[ "$rolled_back" = 0 ] || fail "$rolled_back rows of the rolled-back large transaction were applied"
unpositioned=$(sql -c "SELECT count(*) FROM dualwrite.dead_letters WHERE lsn IS NULL AND xid IS NOT NULL")
[ "$unpositioned" = 0 ] || fail "$unpositioned dead letters of live transactions have no position"
e2e_expect_mapping
went_live=$(grep -c "is applied as it streams" "$work/daemon.log" || true)
committed=$(grep -c "committed live" "$work/daemon.log" || true)
gave_way=$(grep -c "gives way\|is applied from its spool" "$work/daemon.log" || true)
echo "ok: new tables equal the mapping after $kills kills; $went_live transactions went live, $committed committed live, $gave_way gave way"
