# Shared by the outage tests (a database down, blocked or silent): the daemon harness of
# tests/shell/daemon/lib.sh plus the doubles of fakes.py (a proxy that can stop or go silent, a
# server that never answers, a NOTIFY_SOCKET), /metrics and /readyz readers, and a writer of
# legacy rows. Sourced with the build directory as $1 and a database name prefix as $2.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../daemon/lib.sh" "$1" "$2"
work=$(mktemp -d /tmp/dw-outage.XXXXXX)
fakes=()
writer_pid=""
outage_cleanup() {
  signal_child TERM "$writer_pid" || true
  for p in "${fakes[@]}"; do signal_child TERM "$p" || true; done
  cleanup
  rm -rf "$work"
}
trap outage_cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- daemon log (last 30 lines)"; tail -30 "$log"; exit 1; }
port_of_conn=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$DUALWRITE_TEST_CONNINFO")

# start_proxy NAME: a proxy to the test server; its port in $proxy_port, its mode in
# $work/NAME.mode (proxy_mode NAME up|down|silent).
start_proxy() {
  echo up >"$work/$1.mode"
  python3 "$here/fakes.py" proxy "$work/$1.port" "$port_of_conn" "$work/$1.mode" 240 \
    >/dev/null 2>&1 &
  fakes+=($!)
  for _ in $(seq 1 50); do [ -s "$work/$1.port" ] && break; sleep 0.1; done
  proxy_port=$(cat "$work/$1.port")
}
proxy_mode() { echo "$2" >"$work/$1.mode"; }
# start_silent: a server that accepts TCP and never answers; its port in $silent_port.
start_silent() {
  python3 "$here/fakes.py" silent "$work/silent.port" 240 >/dev/null 2>&1 &
  fakes+=($!)
  for _ in $(seq 1 50); do [ -s "$work/silent.port" ] && break; sleep 0.1; done
  silent_port=$(cat "$work/silent.port")
}
# start_notify: binds a NOTIFY_SOCKET (datagrams land in $work/notify.log) and exports it, with
# a watchdog of 10 s for the daemon started next (run_daemon sets WATCHDOG_PID).
start_notify() {
  python3 "$here/fakes.py" notify "$work/notify.sock" "$work/notify.log" 240 >/dev/null 2>&1 &
  fakes+=($!)
  for _ in $(seq 1 50); do [ -S "$work/notify.sock" ] && break; sleep 0.1; done
  touch "$work/notify.log"
  export NOTIFY_SOCKET=$work/notify.sock WATCHDOG_USEC=10000000
}
# run_daemon: `dualwrite run` in the background as the process WATCHDOG_PID names.
run_daemon() {
  (export WATCHDOG_PID=$BASHPID; exec "$bin" run) >>"$log" 2>&1 &
  daemon_pid=$!
}
metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DUALWRITE_METRICS_LISTEN=127.0.0.1:$metrics_port
metric() {  # metric NAME{labels}: its value, or "" when not exported
  curl -s --max-time 5 "http://127.0.0.1:$metrics_port/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}
readyz() { curl -s --max-time 5 "http://127.0.0.1:$metrics_port/readyz?verbose"; }
readyz_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$metrics_port/readyz"; }
gt() { python3 -c "import sys; sys.exit(0 if float('${1:-0}' or 0) > float('$2') else 1)"; }
# The longest gap between WATCHDOG=1 datagrams between unix times FROM and TO (and the ends).
watchdog_gap() {
  python3 - "$work/notify.log" "$1" "$2" <<'PY'
import sys
log, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
times = [float(l.split()[0]) for l in open(log) if "WATCHDOG=1" in l]
times = [t for t in times if start <= t <= end]
points = [start] + times + [end]
print(f"{max(b - a for a, b in zip(points, points[1:])):.1f}")
PY
}
# write_row [SLUG]: one legacy row (a new user without an account link).
write_row() {
  sql -c "WITH u AS (INSERT INTO auth.users (id) VALUES (gen_random_uuid()) RETURNING id)
          INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type)
          SELECT id, '${1:-surf}', 'view' FROM u"
}
# start_writer: a legacy row every 0.2 s (a user without an account link: each becomes an
# unlinked_user dead letter on the target, dualwrite.dead_letters).
start_writer() {
  (for i in $(seq 1 1500); do
     write_row >/dev/null 2>&1
     sleep 0.2
   done) &
  writer_pid=$!
}
stop_writer() { kill "$writer_pid" 2>/dev/null || true; wait "$writer_pid" 2>/dev/null || true; writer_pid=""; }
letters() { sql -c "SELECT count(*) FROM dualwrite.dead_letters"; }
legacy_rows() { sql -c "SELECT count(*) FROM public.activity_feedback"; }
# wait_caught_up SECONDS: every legacy row has its letter.
wait_caught_up() {
  for _ in $(seq 1 $(($1 * 5))); do
    [ "$(letters)" = "$(legacy_rows)" ] && return 0
    sleep 0.2
  done
  return 1
}
