# Sourced by the shell tests' cleanup traps. signal_child SIGNAL PID: sends SIGNAL to PID only
# while PID is still a child of this shell. A test that saved the PID of a process which has
# since exited (and been reaped) must not signal whatever process reuses that PID: pid_max is
# 32768 on these machines and a full test run starts tens of thousands of processes, so a
# stale PID can be another test's daemon, which then stops for no reason of its own.
signal_child() {
  local signal=$1 pid=$2 stat
  [ -n "$pid" ] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }  # after "pid (comm) ": state, then the parent's PID
  set -- $stat
  [ "${2:-}" = "$$" ] || return 1
  kill "-$signal" "$pid" 2>/dev/null
}

# terminate_daemon: SIGTERM to $daemon_pid, as systemctl stop does, and the wait for it; its exit
# status in $daemon_status (0 is what every test requires), daemon_pid cleared.
terminate_daemon() {
  daemon_status=0
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" || daemon_status=$?
  daemon_pid=""
}
