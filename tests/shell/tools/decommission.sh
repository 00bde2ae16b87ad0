#!/usr/bin/env bash
# `dualwrite decommission` on a real database, gate by gate: it refuses while the daemon holds
# the slot, while the slot holds a legacy change the bridge has not applied (lagging), while a
# dead letter is unresolved, while the last verification is missing, unclean, too old or older
# than what was applied, and while the bootstrap is unfinished, and drops nothing then. With
# every gate met, --dry-run only says what it would drop; then it drops the slot, the
# publication and the origin; a second run finds nothing left, and a leftover publication alone
# is dropped as well.
#
#   tests/shell/tools/decommission.sh BUILD_DIR      (needs DUALWRITE_TEST_CONNINFO, as scripts/test sets)
source "$(dirname "$0")/lib.sh"
new_db decom
slot=$DUALWRITE_SOURCE_SLOT

# objects: "<slots> <publications> <origins>" of this test.
objects() {
  sql -c "SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot') || ' ' ||
                 (SELECT count(*) FROM pg_publication WHERE pubname = 'dualwrite_legacy') || ' ' ||
                 (SELECT count(*) FROM pg_replication_origin WHERE roname = '$slot')"
}
still_there() {  # still_there NAME: the refusal dropped nothing
  [ "$(objects)" = "1 1 1" ] && pass "$1: nothing dropped" || fail "$1: objects now $(objects)"
}
verify_run() {  # verify_run CLEAN MISMATCHES FINISHED_AGO APPLIED_LSN_SQL
  sql -c "INSERT INTO dualwrite.verify_runs (started_at, finished_at, source_lsn, applied_lsn, mismatches, clean)
          VALUES (now() - interval '$3', now() - interval '$3', pg_current_wal_lsn(), $4, $2, $1)"
}

# The daemon creates its slot and origin, and holds the slot while it runs.
start_daemon
expect "refuses while the daemon holds the slot" 2 \
  "^FAIL daemon stopped: slot $slot is held by pid [0-9]+ \(the daemon is running\): stop it first \(systemctl stop dualwrite\)" \
  "^dualwrite: decommission refused: [0-9] gates? unmet, nothing dropped" -- "$bin" decommission --wait 1s
still_there "daemon running"
stop_daemon

# Lagging: a legacy change committed after the daemon stopped stays in the slot, unapplied (an
# unlinked user's like: once applied it becomes a dead letter).
sql -c "INSERT INTO auth.users (id) VALUES ('a0000000-0000-4000-8000-0000000000d1');
        INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type)
        VALUES ('a0000000-0000-4000-8000-0000000000d1', 'surf', 'like')"
expect "refuses when lagging, and when never verified" 2 \
  "^ok   daemon stopped: slot $slot is not active" \
  "^FAIL caught up: 1 transaction in slot $slot not applied .*start the daemon" \
  "^FAIL verified: no verification recorded: run \`dualwrite verify\`" \
  "^dualwrite: decommission refused: 2 gates unmet, nothing dropped" -- "$bin" decommission --wait 1s
still_there "lagging"

# The daemon catches up (the like becomes a dead letter) and stops again.
start_daemon
for _ in $(seq 1 100); do
  [ "$(sql -c "SELECT count(*) FROM dualwrite.dead_letters")" = 1 ] && break
  sleep 0.1
done
stop_daemon
expect "refuses with an unresolved dead letter" 2 \
  "^ok   caught up: no transaction left in slot $slot past the applied position" \
  "^FAIL dead letters: 1 unresolved \(unlinked_user 1\): .*dead-letters retry" -- "$bin" decommission --wait 1s
"$bin" dead-letters resolve 1 >/dev/null

verify_run false 3 '0s' 'pg_current_wal_lsn()'
expect "refuses when the last verification is not clean" 2 \
  "^FAIL verified: verify run #1 found 3 mismatches" "^ok   dead letters: none unresolved" -- "$bin" decommission --wait 1s
verify_run true 0 '2 days' 'pg_current_wal_lsn()'
expect "refuses when the last verification is too old" 2 \
  "^FAIL verified: verify run #2 finished 48.0h ago, more than --max-verify-age 24h" -- "$bin" decommission --wait 1s
expect "a dead letter resolved after the verification started counts as a change" 2 \
  "^FAIL verified: 1 dead letter retried or resolved after verify run #2 started" \
  -- "$bin" decommission --wait 1s --max-verify-age 72h
verify_run true 0 '0s' "'0/1'"
expect "refuses when the bridge applied changes after the verification" 2 \
  "^FAIL verified: the bridge applied changes after verify run #3 \(origin at [0-9A-F/]+, verified at 0/1\)" \
  -- "$bin" decommission --wait 1s
still_there "unverified"
verify_run true 0 '0s' 'pg_current_wal_lsn()'

sql -c "INSERT INTO dualwrite.bootstrap (slot, publication, origin, consistent_point) VALUES ('$slot', 'dualwrite_legacy', '$slot', '0/1');
        INSERT INTO dualwrite.bootstrap_chunks (slot, step, chunk, ordinal, done_at)
        VALUES ('$slot', 'accounts', 1, 1, now()), ('$slot', 'accounts', 2, 1, NULL)"
expect "refuses while the bootstrap is unfinished" 2 \
  "^FAIL bootstrap: the bootstrap of slot $slot is unfinished \(1 of 2 chunks done\)" \
  "^dualwrite: decommission refused: 1 gate unmet" -- "$bin" decommission --wait 1s
sql -c "UPDATE dualwrite.bootstrap SET finished_at = now() WHERE slot = '$slot'"

expect "--dry-run: every gate met, says what it would drop" 0 \
  "^ok   verified: verify run #4 clean" "^would drop slot $slot \(source\)" \
  "^would drop publication dualwrite_legacy \(source\)" "^would drop origin $slot \(target\)" \
  "^dry run: every gate is met; nothing was dropped" -- "$bin" decommission --dry-run
still_there "dry run"

expect "drops the slot, the publication and the origin" 0 \
  "^dropped slot $slot \(source\)" "^dropped publication dualwrite_legacy \(source\)" \
  "^dropped origin $slot \(target\)" "^decommissioned" -- "$bin" decommission
[ "$(objects)" = "0 0 0" ] && pass "all three are gone" || fail "left behind: $(objects)"
expect "a second run finds nothing left" 0 "^nothing left to decommission" -- "$bin" decommission

sql -c "CREATE PUBLICATION dualwrite_legacy FOR TABLE public.account_linkages"
expect "a leftover publication alone is dropped" 0 \
  "^slot $slot \(source\): already gone" "^dropped publication dualwrite_legacy \(source\)" \
  "^origin $slot \(target\): already gone" -- "$bin" decommission

expect "bad --wait: exit 2" 2 "^dualwrite: --wait must be a duration" -- "$bin" decommission --wait soon
expect "unreachable source: exit 4" 4 "^dualwrite: source: cannot connect" \
  -- env DUALWRITE_SOURCE_CONNINFO="host=/nonexistent dbname=x" "$bin" decommission

finish
