# wait_streaming CONNINFO SLOT: returns 0 once a walsender streams from SLOT (within 30 s), else
# 1. 30 s, not less: creating a slot waits for every transaction running in the cluster, and
# under ctest -j other tests run long ones (shell.outage.silent_server missed a 10 s window in a
# full run, 2026-12-05, and passed alone in 19 s). Being `active` with a confirmed position is not enough: the walsender that creates a slot
# holds it, with its consistent point set, for an instant before the daemon starts streaming.
# Sourced by the tests that start a daemon.
wait_streaming() {
  local conninfo=$1 slot=$2
  for _ in $(seq 1 300); do
    [ "$(psql -X -qtA "$conninfo" -c "SELECT count(*) FROM pg_replication_slots s
           JOIN pg_stat_replication r ON r.pid = s.active_pid
          WHERE s.slot_name = '$slot' AND s.confirmed_flush_lsn IS NOT NULL
            AND r.state IN ('catchup', 'streaming')")" = 1 ] && return 0
    sleep 0.1
  done
  return 1
}

# The tests that source this one signal their saved PIDs through signal_child.
source "$(dirname "${BASH_SOURCE[0]}")/lib/children.sh"
