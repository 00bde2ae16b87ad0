#!/usr/bin/env bash
# Bootstrap killed (SIGKILL) twice mid-backfill under write load, and resumed: `run` refuses to
# stream while the backfill is unfinished; the resumed bootstrap continues from the first
# unfinished chunk (in a fresh snapshot); after `run` catches up the new tables equal what
# mapping.md computes from the legacy tables, with no row kept twice.
#   tests/shell/bootstrap/bootstrap_resume.sh BUILD_DIR [SCALE]
source "$(dirname "$0")/lib.sh"

done_chunks() {
  sql -c "SELECT count(*) FROM dualwrite.bootstrap_chunks WHERE slot = '$db' AND done_at IS NOT NULL" 2>/dev/null || echo 0
}
kill_after_chunks() {  # kill_after_chunks N: start bootstrap, SIGKILL it once N chunks are done
  "$bin" bootstrap --chunk-rows 1000 >>"$work/bootstrap.log" 2>&1 &
  local pid=$! target=$1
  for _ in $(seq 1 600); do
    [ "$(done_chunks)" -ge "$target" ] && break
    kill -0 "$pid" 2>/dev/null || fail "bootstrap ended before it could be killed"
    sleep 0.05
  done
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  echo "killed bootstrap after $(done_chunks) chunks"
}

workload 25
sleep 1
kill_after_chunks 12
status=0
out=$("$bin" run 2>&1) || status=$?
[ "$status" = 2 ] && grep -q "has not finished" <<<"$out" \
  || fail "run did not refuse an unfinished bootstrap (status $status): $out"
kill_after_chunks 40
"$bin" bootstrap --chunk-rows 1000 >>"$work/bootstrap.log" 2>&1 || fail "the resumed bootstrap failed"
grep -q "resuming the bootstrap" "$work/bootstrap.log" || fail "the bootstrap did not resume"
snapshots=$(sql -c "SELECT snapshots FROM dualwrite.bootstrap WHERE slot = '$db'")
[ "$snapshots" = 3 ] || fail "expected 3 snapshots (1 + 2 resumes), got $snapshots"
undone=$(sql -c "SELECT count(*) FROM dualwrite.bootstrap_chunks WHERE slot = '$db' AND done_at IS NULL")
[ "$undone" = 0 ] || fail "$undone chunks left undone"
temp=$(sql -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE '${db}_bootstrap_%'")
[ "$temp" = 0 ] || fail "a temporary snapshot slot outlived its bootstrap"

start_daemon
wait "$bench_pid" || fail "the workload failed"
bench_pid=""
wait_caught_up
check_equal
echo "ok: bootstrap killed twice under load and resumed: new tables equal the mapping"
