#!/usr/bin/env bash
# Writes to a renamed legacy table are never dropped without a trace (issue 12, item 4): the
# publication follows the table's OID, so after `ALTER TABLE offline_likes RENAME TO
# offline_likes_old` its changes arrive under the new name, which is no table the bridge knows.
#   1. such a write becomes a schema_mismatch dead letter naming the relation as it arrived, with
#      the whole row; one log line; dualwrite_dead_letters_total{table="unknown_relation",
#      reason="schema_mismatch"} counts it; the other tables keep flowing;
#   2. renamed back, the next write is translated;
#   3. `dead-letters retry` refuses the letter while it names a table the bridge does not know,
#      saying what to do; with source_table set as the runbook says, it applies.
#   tests/shell/daemon/schema_table_rename.sh BUILD_DIR
source "$(dirname "$0")/schema_lib.sh" "$1" tblddl
u=c1000000-0000-4000-8000-000000000002

start_daemon
sql -c "INSERT INTO auth.users (id) VALUES ('$u');
        INSERT INTO public.account_linkages (user_id, account_id) VALUES ('$u', '$u');
        INSERT INTO public.offline_likes (user_id, activity_slug) VALUES ('$u', 'before')"
wait_for "SELECT count(*) FROM public.offline_interactions WHERE activity_slug = 'before'"

# 1. Renamed: a letter, a log line, the metric; the other tables flow.
sql -c "ALTER TABLE public.offline_likes RENAME TO offline_likes_old"
sql -c "BEGIN;
        INSERT INTO public.offline_likes_old (user_id, activity_slug, payload) VALUES ('$u', 'renamed', '{\"liked\": true}');
        INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type) VALUES ('$u', 'flowing', 'view');
        COMMIT;"
sql -c "INSERT INTO public.offline_likes_old (user_id, activity_slug) VALUES ('$u', 'renamed-2')"
wait_for "SELECT count(*) FROM public.activity_interactions WHERE activity_slug = 'flowing'"
wait_for "SELECT (count(*) = 2)::int FROM dualwrite.dead_letters WHERE source_table = 'offline_likes_old' AND reason = 'schema_mismatch'"
[ "$(sql -c "SELECT new_row -> 'payload' ->> 'liked' FROM dualwrite.dead_letters WHERE source_table = 'offline_likes_old' AND new_row ->> 'activity_slug' = 'renamed'")" = true ] \
  || fail "the letter does not keep the whole row: $(sql -c "SELECT new_row FROM dualwrite.dead_letters WHERE source_table = 'offline_likes_old'")"
logged=$(grep -c 'offline_likes_old' "$log" || true)
[ "$logged" = 1 ] || fail "the renamed table was logged $logged times, expected once"
value=$(dead_letter_metric unknown_relation schema_mismatch 2)
[ "$value" = 2 ] || fail "dualwrite_dead_letters_total{table=unknown_relation,reason=schema_mismatch} is '$value', expected 2"
echo "ok: writes to the renamed table are schema_mismatch letters naming it, logged once, counted; other tables flow"

# 2. Renamed back: translated again.
sql -c "ALTER TABLE public.offline_likes_old RENAME TO offline_likes"
sql -c "INSERT INTO public.offline_likes (user_id, activity_slug) VALUES ('$u', 'after')"
wait_for "SELECT count(*) FROM public.offline_interactions WHERE activity_slug = 'after'"
echo "ok: renamed back, the next write is translated"

# 3. Retry: refused while the letter names an unknown table; applied once it names the legacy one.
retry_status=0
"$bin" dead-letters retry --reason schema_mismatch >"$log.retry" 2>&1 || retry_status=$?
[ "$retry_status" = 1 ] || { cat "$log.retry"; fail "retry of a letter of an unknown table exited $retry_status, expected 1"; }
grep -q "offline_likes_old" "$log.retry" && grep -q "SET source_table" "$log.retry" \
  || { cat "$log.retry"; fail "the retry does not say what to do with a letter of a renamed table"; }
sql -c "UPDATE dualwrite.dead_letters SET source_table = 'offline_likes'
         WHERE source_table = 'offline_likes_old' AND reason = 'schema_mismatch' AND resolved_at IS NULL"
"$bin" dead-letters retry --reason schema_mismatch >"$log.retry" 2>&1 || { cat "$log.retry"; fail "the retry of the edited letters failed"; }
[ "$(sql -c "SELECT count(*) FROM public.offline_interactions WHERE activity_slug IN ('renamed', 'renamed-2')")" = 2 ] \
  || fail "the retried letters did not apply: $(cat "$log.retry")"
kill -0 "$daemon_pid" || fail "the daemon exited"
echo "ok: retry refuses a letter naming an unknown table and says what to do; edited, it applies"
