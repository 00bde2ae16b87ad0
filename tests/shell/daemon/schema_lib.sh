# Shared by the schema-change tests (schema_*.sh): the daemon harness (lib.sh) with its metrics
# served on a free port, and waits for the bridge. Sourced with the build directory as $1 and a
# database name prefix as $2.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$1" "$2"
trap 'rm -f "$log".*; cleanup' EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DUALWRITE_METRICS_LISTEN=127.0.0.1:$port

# wait_for QUERY: until it returns 1 or more (60 s), failing if the daemon exits meanwhile.
wait_for() {
  for _ in $(seq 1 600); do
    [ "$(sql -c "$1")" -ge 1 ] && return 0
    kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon exited (waiting for: $1)"
    sleep 0.1
  done
  fail "timed out waiting for: $1"
}

# stop_daemon: SIGTERM, exit status 0, and the slot released (peek needs it idle).
stop_daemon() {
  terminate_daemon
  [ "$daemon_status" = 0 ] || fail "the daemon exited with status $daemon_status on SIGTERM"
  for _ in $(seq 1 100); do
    [ "$(sql -c "SELECT active FROM pg_replication_slots WHERE slot_name = '$db'")" = f ] && return 0
    sleep 0.1
  done
  fail "the slot stayed active after the daemon stopped"
}

# dead_letter_metric TABLE REASON: dualwrite_dead_letters_total of that table and reason, once it
# reaches WANT (waits up to 5 s: the daemon refreshes its metrics every second).
dead_letter_metric() {
  local table=$1 reason=$2 want=$3 value=""
  for _ in $(seq 1 50); do
    value=$(curl -s "http://127.0.0.1:$port/metrics" | grep '^dualwrite_dead_letters_total{' \
              | grep "table=\"$table\"" | grep "reason=\"$reason\"" | awk '{print $2}')
    [ "$value" = "$want" ] && break
    sleep 0.1
  done
  echo "$value"
}
