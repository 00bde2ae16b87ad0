# Shared by the bootstrap tests: a fresh database cloned from the test server's template, with
# synthetic legacy data, its own slot and origin (named after it: both are cluster-wide), the
# mixed legacy workload of bench/workload, and a way to wait until the daemon has applied
# everything committed so far.
#   source lib.sh BUILD_DIR SCALE
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/children.sh"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
bin=${1:?usage: $0 BUILD_DIR}/dualwrite
scale=${2:-0.5}
: "${DUALWRITE_TEST_CONNINFO:?run through scripts/test (DUALWRITE_TEST_CONNINFO is not set)}"
bindir=${DUALWRITE_TEST_PG_BINDIR:-$(pg_config --bindir)}
db=boot_$$_$RANDOM
admin=$DUALWRITE_TEST_CONNINFO
conn=$(sed "s/dbname=[^ ]*/dbname=$db/" <<<"$DUALWRITE_TEST_CONNINFO")
work=$(mktemp -d)
daemon_pid=""
bench_pid=""
sql() { psql -X -qtA -v ON_ERROR_STOP=1 "$conn" "$@"; }
cleanup() {
  signal_child TERM "$bench_pid" || true
  signal_child TERM "$daemon_pid" && wait "$daemon_pid" 2>/dev/null || true
  psql -X -q "$admin" -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                           WHERE slot_name LIKE '${db}%' AND NOT active" >/dev/null 2>&1 || true
  psql -X -q "$admin" -c "SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin
                           WHERE roname = '$db'" >/dev/null 2>&1 || true
  [ "${DUALWRITE_TEST_KEEP:-0}" = 1 ] || psql -X -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  if [ "${DUALWRITE_TEST_KEEP:-0}" = 1 ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f (last 30 lines)"; tail -30 "$f"; }; done
  exit 1
}

psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE $db TEMPLATE dualwrite_template" >/dev/null
sql -v scale="$scale" -f "$root/sql/fixture/synthetic_data.sql" >/dev/null
sql -f "$root/bench/workload/setup.sql" >/dev/null

export DUALWRITE_SOURCE_CONNINFO=$conn
export DUALWRITE_SOURCE_SLOT=$db
export DUALWRITE_SOURCE_ORIGIN=$db
export DUALWRITE_METRICS_LISTEN=""
export DUALWRITE_RECONNECT_INITIAL_BACKOFF=50ms
export DUALWRITE_RECONNECT_MAX_BACKOFF=1s

workload() {  # workload SECONDS: the mixed legacy workload in the background (bench_pid)
  "$bindir/pgbench" -n -c 4 -j 2 -T "$1" -R 100 --max-tries=20 \
    -f "$root/bench/workload/feedback.sql@10" -f "$root/bench/workload/suggestion.sql@2" \
    -f "$root/bench/workload/chat.sql@3" -f "$root/bench/workload/profile.sql@1" \
    -f "$root/bench/workload/offline.sql@2" -f "$root/bench/workload/link.sql@1" \
    -f "$root/bench/workload/catalog.sql@1" \
    "$conn" >>"$work/pgbench.log" 2>&1 &
  bench_pid=$!
}

start_daemon() {
  "$bin" run >>"$work/daemon.log" 2>&1 &
  daemon_pid=$!
}

# A marker row is the last change; once the daemon applied it, it applied everything before.
wait_caught_up() {
  local marker=marker-$RANDOM id
  sql -c "INSERT INTO offline_likes (user_id, activity_slug) VALUES (md5('user1')::uuid, '$marker')"
  id=$(sql -c "SELECT uuid_generate_v5('b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45', 'offline_likes:' || md5('user1')::uuid || ':$marker')")
  for _ in $(seq 1 1500); do
    [ "$(sql -c "SELECT count(*) FROM offline_interactions WHERE id = '$id'")" = 1 ] && return 0
    kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon exited"
    sleep 0.2
  done
  fail "the daemon did not catch up within 300 s"
}

# The new tables must equal what mapping.md computes from the legacy tables, and no like or
# bookmark may be both kept and merged.
check_equal() {
  local diff both
  sql -c "SELECT table_name || ': expected ' || expected || ', actual ' || actual FROM dualwrite_expected.counts()"
  diff=$(sql -c "SELECT table_name || ' ' || key || ' ' || problem FROM dualwrite_expected.diff_all(20)")
  [ -z "$diff" ] || { echo "$diff"; fail "the new tables differ from the mapping of the legacy tables"; }
  both=$(sql -c "SELECT count(*) FROM dualwrite.merged_interactions m JOIN public.activity_interactions a ON a.id = m.id")
  [ "$both" = 0 ] || fail "$both likes/bookmarks are both kept and merged"
}
