# What the end-to-end scripts share: their own PostgreSQL, the daemon started and stopped, the
# wait for its slot, the catch-up on a marker row. Source after scripts/lib/common.sh and
# tests/shell/lib/children.sh; `root` and `bin` must be set.
#
#   e2e_setup NAME       a throwaway server (DUALWRITE_DEVDB_DIR), $work, $conn, sql(), fail(),
#                        and the clean-up of both and of $daemon_pid, $bench_pid, $big_pid at exit
#                        (DUALWRITE_E2E_KEEP=1 keeps them)
#   start_daemon         `dualwrite run` in the background, logging to $work/daemon.log
#   e2e_wait_slot        until the daemon's slot has reached its consistent point
#   e2e_catch_up         a marker row committed last, then until it is applied (300 s at most)
#   e2e_stop_daemon      SIGTERM, which must end it with status 0

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

e2e_stop_daemon() {
  kill -TERM "$daemon_pid"
  local status=0
  wait "$daemon_pid" || status=$?
  daemon_pid=""
  [ "$status" = 0 ] || fail "SIGTERM: exit status $status, expected 0"
}
