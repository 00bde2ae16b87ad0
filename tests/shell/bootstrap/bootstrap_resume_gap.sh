#!/usr/bin/env bash
# A resumed bootstrap reads its remaining chunks in a fresh snapshot. A row the first snapshot
# left to the dead letters (its user was not linked yet) but the fresh one does not (the user
# was linked in between) must still reach the new tables: the finished chunks are topped up
# from the fresh snapshot. Deterministic: the first bootstrap is interrupted by making its first
# dead-letter write fail (after every data chunk is done), the user is linked, the bootstrap
# resumes, `run` streams from the first consistent point, and the row must be there.
#   tests/shell/bootstrap/bootstrap_resume_gap.sh BUILD_DIR
source "$(dirname "$0")/lib.sh" "$1" 0.02

user="md5('user10')::uuid"   # bench/workload/setup.sql leaves every tenth user unlinked
[ "$(sql -c "SELECT count(*) FROM account_linkages WHERE user_id = $user")" = 0 ] || fail "user10 is linked already"
fid=$(sql -c "INSERT INTO activity_feedback (user_id, activity_slug, feedback_type, metadata)
              VALUES ($user, 'act-1', 'view', '{}') RETURNING id")
target_id=$(sql -c "SELECT dualwrite_expected.v5('activity_feedback:$fid')")

sql -c "CREATE FUNCTION pg_temp_interrupt() RETURNS trigger LANGUAGE plpgsql AS
          \$\$BEGIN RAISE EXCEPTION 'test: bootstrap interrupted'; END\$\$;
        CREATE TRIGGER interrupt BEFORE INSERT ON dualwrite.dead_letters
          FOR EACH ROW EXECUTE FUNCTION pg_temp_interrupt()" >/dev/null
status=0
"$bin" bootstrap >"$work/bootstrap.log" 2>&1 || status=$?
[ "$status" != 0 ] || fail "the interrupted bootstrap succeeded"
grep -q "bootstrap interrupted" "$work/bootstrap.log" || fail "the bootstrap failed for another reason"
[ "$(sql -c "SELECT count(*) FROM activity_interactions WHERE id = '$target_id'")" = 0 ] \
  || fail "the unlinked user's feedback was backfilled before the link"

sql -c "INSERT INTO account_linkages (user_id, account_id) VALUES ($user, md5('account10')::uuid)"
sql -c "DROP TRIGGER interrupt ON dualwrite.dead_letters; DROP FUNCTION pg_temp_interrupt()" >/dev/null
"$bin" bootstrap >>"$work/bootstrap.log" 2>&1 || fail "the resumed bootstrap failed"
grep -q "topped up" "$work/bootstrap.log" || fail "the resumed bootstrap did not top up finished chunks"

start_daemon
wait_caught_up
[ "$(sql -c "SELECT count(*) FROM activity_interactions WHERE id = '$target_id'")" = 1 ] \
  || fail "the feedback of a user linked between the two snapshots was lost"
check_equal
echo "ok: a row dead-lettered by the first snapshot and not by the fresh one reaches the new tables"
