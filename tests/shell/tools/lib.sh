# Shared by the tools tests (check, status, decommission): a fresh database cloned from the test
# server's template, the bridge's slot and origin named after it (both are cluster-wide, and
# other tests run in parallel), and `expect`, which runs a command and checks its exit status
# and output. Sourced with the build directory as $1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../streaming.sh"
bin=${1:?usage: $0 BUILD_DIR}/dualwrite
: "${DUALWRITE_TEST_CONNINFO:?run through scripts/test (DUALWRITE_TEST_CONNINFO is not set)}"
failures=0
passed=0
tmp=$(mktemp -d)
admin="$DUALWRITE_TEST_CONNINFO"
db=""
daemon_pid=""

pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
sql() { psql -X -qtA -v ON_ERROR_STOP=1 "$conn" "$@"; }

# new_db HINT: creates the database and points the bridge's config (environment) at it.
new_db() {
  db=tools_$1_$$_$RANDOM
  conn=$(sed "s/dbname=[^ ]*/dbname=$db/" <<<"$DUALWRITE_TEST_CONNINFO")
  psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE $db TEMPLATE dualwrite_template" >/dev/null
  export DUALWRITE_SOURCE_CONNINFO=$conn
  export DUALWRITE_SOURCE_SLOT=dw_$db
  export DUALWRITE_SOURCE_ORIGIN=dw_$db
  export DUALWRITE_METRICS_LISTEN=""
  export DUALWRITE_LOG_FORMAT=text
}

cleanup() {
  if signal_child KILL "$daemon_pid"; then wait "$daemon_pid" 2>/dev/null || true; fi
  if [ -n "$db" ]; then
    psql -X -q "$admin" >/dev/null 2>&1 <<SQL || true
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'dw_$db';
SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname = 'dw_$db';
DROP DATABASE IF EXISTS $db WITH (FORCE);
SQL
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# expect NAME STATUS [REGEX...] -- COMMAND...: COMMAND exits with STATUS, its output (stdout and
# stderr together) matches every extended REGEX, and it never dumps a crash.
expect() {
  local name=$1 want=$2
  shift 2
  local patterns=()
  while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
  shift
  local status=0 problems="" p
  "$@" >"$tmp/out" 2>&1 || status=$?
  [ "$status" = "$want" ] || problems="exit status $status, want $want;"
  for p in "${patterns[@]}"; do
    grep -Eq -- "$p" "$tmp/out" || problems+=" no line matches /$p/;"
  done
  if grep -Eq "terminate called|Segmentation|Aborted|what\(\)" "$tmp/out"; then problems+=" crashed;"; fi
  if [ -n "$problems" ]; then
    fail "$name: $problems"
    sed 's/^/    | /' "$tmp/out"
  else
    pass "$name"
  fi
}

# start_daemon [ARGS...]: `dualwrite run ARGS` in the background, until it streams from its slot.
start_daemon() {
  "$bin" run "$@" >>"$tmp/daemon.log" 2>&1 &
  daemon_pid=$!
  wait_streaming "$conn" "$DUALWRITE_SOURCE_SLOT" && return 0
  echo "the daemon did not take its slot; its log:"; cat "$tmp/daemon.log"
  return 1
}

# stop_daemon: SIGTERM, as systemctl stop does; it must exit 0.
stop_daemon() {
  terminate_daemon
  [ "$daemon_status" = 0 ] || { echo "the daemon exited with $daemon_status; its log:"; cat "$tmp/daemon.log"; return 1; }
}

finish() {
  echo "$passed passed, $failures failed"
  [ "$failures" = 0 ]
}
