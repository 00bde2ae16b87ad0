#!/usr/bin/env bash
# End-to-end: `dualwrite run` under a mixed legacy workload while it is killed with SIGKILL at
# random moments (20 times by default), while the source server crashes and restarts
# (pg_ctl restart -m immediate), and while its target connection is cut. At the end the new
# tables must equal what mapping.md computes from the legacy tables (the expected-state migrations), and a SIGTERM
# must stop it with exit status 0.
#
#   tests/shell/e2e/kill_restart.sh BUILD_DIR [KILLS]
#
# It runs its own PostgreSQL (scripts/dev-db in a temp dir): the source restart must not
# disturb the tests that share the main test server.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:?usage: kill_restart.sh BUILD_DIR [KILLS]}
kills=${2:-20}
bin=$build/dualwrite

source "$root/tests/shell/e2e/lib.sh"
e2e_setup e2e

workload() {  # workload SECONDS: the mixed workload with catalog changes, 200 transactions/s
  e2e_workload "$1" 200 -f "$root/bench/workload/catalog.sql@1"
}

# The daemon starts on an empty database and creates its slot: everything after is streamed
# (a populated database is `dualwrite bootstrap`'s job).
start_daemon
e2e_wait_slot
sql -f "$root/bench/workload/setup.sql" >/dev/null

echo "phase 1: workload with $kills kills -9 of the daemon"
workload $((kills + 10)) &
bench_pid=$!
# A large transaction too: the synthetic generator in one transaction (streamed in protocol 2).
sql -v scale=0.02 -f "$root/sql/fixture/synthetic_data.sql" >/dev/null &
big_pid=$!
for i in $(seq 1 "$kills"); do
  sleep "0.$(( RANDOM % 9 + 2 ))"
  e2e_kill_restart
done
wait "$big_pid" || fail "the synthetic data load failed"
wait "$bench_pid" || fail "the workload failed (see $work/pgbench.log)"
bench_pid=""

echo "phase 2: the source crashes and restarts (pg_ctl restart -m immediate) under load"
( workload 8 || true ) &
bench_pid=$!
sleep 3
dw_as_pg_owner "$bindir/pg_ctl" -D "$DUALWRITE_DEVDB_DIR/data" -m immediate -w restart \
  -l "$DUALWRITE_DEVDB_DIR/postgres.log" >/dev/null
wait "$bench_pid" || true
bench_pid=""
kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon died when the source restarted"

echo "phase 3: the target connection is cut under load"
workload 6 &
bench_pid=$!
for i in 1 2 3; do
  sleep 1.5
  sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE application_name = 'dualwrite' AND backend_type = 'client backend'" >/dev/null
done
wait "$bench_pid" || fail "the workload failed in phase 3"
bench_pid=""
kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon died when its target connection was cut"

# Catch up: a marker row is the last change; once it is applied, everything before it is.
e2e_catch_up

e2e_stop_daemon

echo "legacy rows: $(sql -c "SELECT (SELECT count(*) FROM activity_feedback) || ' feedback, ' || (SELECT count(*) FROM ai_suggestions) || ' suggestions, ' || (SELECT count(*) FROM chatbot_messages) || ' messages'")"
sql -c "SELECT table_name || ': expected ' || expected || ', actual ' || actual FROM dualwrite_expected.counts()"
e2e_expect_mapping
healed=$(sql -c "SELECT count(*) FROM activity_interactions i JOIN activities a ON a.id = i.activity_id
                  WHERE a.title LIKE 'Late activity %' AND i.created_at < a.created_at")
[ "$healed" -gt 0 ] || fail "the workload's catalog changes healed no earlier row (catalog.sql did not run?)"
echo "rows linked by a slug that entered the catalog after them: $healed"
restarts=$(grep -c "target origin" "$work/daemon.log" || true)
echo "ok: new tables equal the mapping of the legacy tables after $kills kills, a source crash and 3 target cuts ($restarts stream starts)"
