# Shared by the daemon tests: a fresh database cloned from the test server's template, the
# bridge's slot and origin named after it (both cluster-wide; other tests run in parallel), and
# `start_daemon`, which returns once the daemon streams. Sourced with the build directory as
# $1 and a database name prefix as $2; the caller exports any DUALWRITE_* it needs first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../streaming.sh"
bin=${1:?usage: $0 BUILD_DIR}/dualwrite
: "${DUALWRITE_TEST_CONNINFO:?run through scripts/test (DUALWRITE_TEST_CONNINFO is not set)}"
db=${2}_$$_$RANDOM
admin=$DUALWRITE_TEST_CONNINFO
conn=$(sed "s/dbname=[^ ]*/dbname=$db/" <<<"$DUALWRITE_TEST_CONNINFO")
log=${DUALWRITE_TEST_LOG:-$(mktemp)}
daemon_pid=""
sql() { psql -X -qtA -v ON_ERROR_STOP=1 "$conn" "$@"; }
cleanup() {
  signal_child TERM "$daemon_pid" && wait "$daemon_pid" 2>/dev/null || true
  psql -X -q "$admin" -c "SELECT pg_drop_replication_slot('$db') FROM pg_replication_slots WHERE slot_name = '$db'" \
       -c "SELECT pg_replication_origin_drop('$db') FROM pg_replication_origin WHERE roname = '$db'" \
       -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -f "$log"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -20 "$log"; exit 1; }

psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE $db TEMPLATE dualwrite_template" >/dev/null
export DUALWRITE_SOURCE_CONNINFO=$conn DUALWRITE_SOURCE_SLOT=$db DUALWRITE_SOURCE_ORIGIN=$db
export DUALWRITE_METRICS_LISTEN=""

# start_daemon: `dualwrite run` in the background, until its walsender streams.
start_daemon() {
  "$bin" run >"$log" 2>&1 &
  daemon_pid=$!
  wait_streaming "$conn" "$db" && return 0
  fail "the daemon did not start streaming"
}
