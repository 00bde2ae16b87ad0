# What the end-to-end scripts share: their own PostgreSQL, the daemon started and stopped, the
# wait for its slot, the mixed workload, the catch-up on a marker row. `root` (the repository)
# and `bin` (the dualwrite binary) must be set; this sources scripts/lib/common.sh and
# tests/shell/lib/children.sh and sets `bindir` (PostgreSQL's).
#
#   e2e_setup NAME       a throwaway server (DUALWRITE_DEVDB_DIR), $work, $conn, sql(), fail(),
#                        and the clean-up of both and of $daemon_pid, $bench_pid, $big_pid at exit
#                        (DUALWRITE_E2E_KEEP=1 keeps them)
#   start_daemon         `dualwrite run` in the background, logging to $work/daemon.log
#   e2e_wait_slot        until the daemon's slot has reached its consistent point
#   e2e_workload SECONDS RATE [PGBENCH_ARGS...]
#                        bench/workload's mixed legacy workload, 4 clients, RATE transactions/s
#                        (bounded so that a test measures correctness, not whether this machine
#                        keeps up), more scripts in PGBENCH_ARGS; output in $work/pgbench.log
#   e2e_catch_up         a marker row committed last, then until it is applied (300 s at most)
#   e2e_kill_restart     SIGKILL of the daemon, then a new one
#   e2e_stop_daemon      SIGTERM, which must end it with status 0
#   e2e_expect_mapping   prints the unresolved dead letters by reason, then fails unless the new
#                        tables equal what mapping.md computes (dualwrite_expected.diff_all)
source "$root/scripts/lib/common.sh"
source "$root/tests/shell/lib/children.sh"
bindir=$(dw_pg_bindir)

e2e_setup() {
  export DUALWRITE_DEVDB_DIR=$(mktemp -d "/tmp/dw-$1.XXXXXX")
  work=$(mktemp -d "/tmp/dw-$1-work.XXXXXX")
  daemon_pid="" bench_pid="" big_pid=""
  trap e2e_cleanup EXIT
  conn=$("$root/scripts/dev-db" up --scale 0 2>/dev/null | tail -n 1)
  export DUALWRITE_SOURCE_CONNINFO=$conn
  export DUALWRITE_METRICS_LISTEN=""
  export DUALWRITE_RECONNECT_INITIAL_BACKOFF=50ms
  export DUALWRITE_RECONNECT_MAX_BACKOFF=1s
}

e2e_cleanup() {
  signal_child KILL "$daemon_pid" || true
  signal_child TERM "$bench_pid" || true
  signal_child TERM "$big_pid" || true
  if [ -n "${DUALWRITE_E2E_KEEP:-}" ]; then
    echo "kept: DUALWRITE_DEVDB_DIR=$DUALWRITE_DEVDB_DIR, logs in $work"
  else
    "$root/scripts/dev-db" down >/dev/null 2>&1 || true
    rm -rf "$work"
  fi
}

fail() { echo "FAIL: $*"; echo "--- daemon log (last 40 lines)"; tail -40 "$work/daemon.log" || true; exit 1; }
sql() { psql -X -qtA -v ON_ERROR_STOP=1 "$conn" "$@"; }

start_daemon() {
  "$bin" run >>"$work/daemon.log" 2>&1 &
  daemon_pid=$!
}

e2e_wait_slot() {
  # A slot being created is listed (and active) while it still waits for its consistent point,
  # and what commits before that point is not streamed: wait for the point.
  for _ in $(seq 1 100); do
    [ "$(sql -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'dualwrite' AND confirmed_flush_lsn IS NOT NULL")" = 1 ] && return 0
    sleep 0.1
  done
}

e2e_workload() {
  local seconds=$1 rate=$2
  shift 2
  "$bindir/pgbench" -n -c 4 -j 2 -T "$seconds" -R "$rate" --max-tries=20 \
    -f "$root/bench/workload/feedback.sql@10" -f "$root/bench/workload/suggestion.sql@2" \
    -f "$root/bench/workload/chat.sql@3" -f "$root/bench/workload/profile.sql@1" \
    -f "$root/bench/workload/offline.sql@2" -f "$root/bench/workload/link.sql@1" \
    "$@" "$conn" >>"$work/pgbench.log" 2>&1
}

e2e_catch_up() {
  sql -c "INSERT INTO offline_likes (user_id, activity_slug) VALUES (md5('user1')::uuid, 'marker')"
  local marker_id
  marker_id=$(sql -c "SELECT uuid_generate_v5('b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45', 'offline_likes:' || md5('user1')::uuid || ':marker')")
  for _ in $(seq 1 1500); do
    [ "$(sql -c "SELECT count(*) FROM offline_interactions WHERE id = '$marker_id'")" = 1 ] && return 0
    sleep 0.2
  done
  fail "the daemon did not catch up within 300 s"
}

e2e_kill_restart() {
  kill -9 "$daemon_pid" 2>/dev/null || true
  wait "$daemon_pid" 2>/dev/null || true
  start_daemon
}

e2e_stop_daemon() {
  terminate_daemon
  [ "$daemon_status" = 0 ] || fail "SIGTERM: exit status $daemon_status, expected 0"
}

e2e_expect_mapping() {
  echo "dead letters: $(sql -c "SELECT coalesce(string_agg(reason || '=' || n, ' '), 'none') FROM (SELECT reason, count(*) n FROM dualwrite.dead_letters WHERE resolved_at IS NULL GROUP BY reason) d")"
  local diff
  diff=$(sql -c "SELECT table_name || ' ' || key || ' ' || problem FROM dualwrite_expected.diff_all(20)")
  if [ -n "$diff" ]; then
    echo "$diff"
    fail "the new tables differ from what mapping.md computes from the legacy tables"
  fi
}
