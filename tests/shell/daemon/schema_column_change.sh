#!/usr/bin/env bash
# DDL on a legacy column does not wedge the bridge (issue 12, item 3; mapping.md rule 6):
#   1. with the daemon stopped, chatbot_messages.content is renamed to body and two messages are
#      written, one in the same transaction as an activity_feedback row: `peek` shows the
#      messages as the schema_mismatch letters they will be, and the feedback's writes;
#   2. the daemon applies the feedback and writes the two letters (the whole row, by the names
#      the stream carried), logs the relation once (not once per row), counts the letters in
#      dualwrite_dead_letters_total{reason="schema_mismatch"} and keeps running;
#   3. renamed back, the next message is translated again;
#   4. `dead-letters retry` refuses the letters while their row has body instead of content,
#      saying what to do; once the letter is edited as the runbook says, it applies;
#   5. ALTER COLUMN … TYPE: refused by PostgreSQL while a dualwrite_expected view uses the column;
#      with that view gone, a change of a column with another type is a schema_mismatch letter,
#      and the type restored, translation resumes.
#   tests/shell/daemon/schema_column_change.sh BUILD_DIR
source "$(dirname "$0")/schema_lib.sh" "$1" colddl

u=c1000000-0000-4000-8000-000000000001
conv=c2000000-0000-4000-8000-000000000001
msg() { printf 'c3000000-0000-4000-8000-00000000000%s' "$1"; }

start_daemon
sql -c "INSERT INTO auth.users (id) VALUES ('$u');
        INSERT INTO public.account_linkages (user_id, account_id) VALUES ('$u', '$u');
        INSERT INTO public.chatbot_conversations (id, user_id, conversation_type) VALUES ('$conv', '$u', 'support');
        INSERT INTO public.chatbot_messages (id, conversation_id, role, content) VALUES ('$(msg 1)', '$conv', 'user', 'before');"
wait_for "SELECT count(*) FROM public.chat_messages WHERE id = '$(msg 1)'"
stop_daemon

# 1. The rename and two writes while the daemon is stopped; peek shows what they will become.
sql -c "ALTER TABLE public.chatbot_messages RENAME COLUMN content TO body"
sql -c "BEGIN;
        INSERT INTO public.chatbot_messages (id, conversation_id, role, body) VALUES ('$(msg 2)', '$conv', 'user', 'renamed one');
        INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type) VALUES ('$u', 'surf', 'view');
        COMMIT;"
sql -c "INSERT INTO public.chatbot_messages (id, conversation_id, role, body) VALUES ('$(msg 3)', '$conv', 'user', 'renamed two')"
peek_status=0
"$bin" peek --json >"$log.peek" 2>&1 || peek_status=$?
[ "$peek_status" = 0 ] || { cat "$log.peek"; fail "peek exited $peek_status after the column rename"; }
letters=$(grep -c '"table":"chatbot_messages".*"dead_letter":{"reason":"schema_mismatch"' "$log.peek" || true)
[ "$letters" = 2 ] || { cat "$log.peek"; fail "peek shows $letters schema_mismatch letters for chatbot_messages, expected 2"; }
grep '"table":"activity_feedback"' "$log.peek" | grep -q '"op":"feedback_insert"' \
  || { cat "$log.peek"; fail "peek does not show the feedback's write"; }
echo "ok: peek shows the two messages as schema_mismatch letters and the feedback's write"

# 2. The daemon: letters, the other table flowing, one log line, the metric.
start_daemon
wait_for "SELECT count(*) FROM public.activity_interactions WHERE activity_slug = 'surf'"
wait_for "SELECT (count(*) = 2)::int FROM dualwrite.dead_letters WHERE reason = 'schema_mismatch' AND source_table = 'chatbot_messages'"
[ "$(sql -c "SELECT new_row ->> 'body' FROM dualwrite.dead_letters WHERE reason = 'schema_mismatch' AND new_row ->> 'id' = '$(msg 2)'")" = "renamed one" ] \
  || fail "the letter does not keep the row as the stream carried it: $(sql -c "SELECT new_row FROM dualwrite.dead_letters WHERE reason = 'schema_mismatch'")"
[ "$(sql -c "SELECT count(*) FROM public.chat_messages WHERE id IN ('$(msg 2)', '$(msg 3)')")" = 0 ] \
  || fail "a message with no content column was applied"
logged=$(grep -c 'chatbot_messages.*has no column content' "$log" || true)
[ "$logged" = 1 ] || fail "the relation was logged $logged times, expected once (per relation version, not per row)"
value=$(dead_letter_metric chatbot_messages schema_mismatch 2)
[ "$value" = 2 ] \
  || fail "dualwrite_dead_letters_total{table=chatbot_messages,reason=schema_mismatch} is '$value', expected 2"
kill -0 "$daemon_pid" || fail "the daemon exited"
"$bin" status | grep -q "^dead letters: .*(schema_mismatch 2); schema_mismatch: DDL on a legacy table" \
  || fail "status does not show the schema_mismatch letters: $("$bin" status | grep '^dead letters')"
echo "ok: two schema_mismatch letters, the feedback applied, one log line, the metric at 2, status, the daemon running"

# 3. Renamed back: translation resumes.
sql -c "ALTER TABLE public.chatbot_messages RENAME COLUMN body TO content"
sql -c "INSERT INTO public.chatbot_messages (id, conversation_id, role, content) VALUES ('$(msg 4)', '$conv', 'user', 'after')"
wait_for "SELECT count(*) FROM public.chat_messages WHERE id = '$(msg 4)' AND content = 'after'"
grep -q 'chatbot_messages.*translation resumes' "$log" || fail "no log line saying translation resumed"
echo "ok: renamed back, the next message is translated again"

# 4. Retry: refused while the letter's row has body instead of content, with what to do.
retry_status=0
"$bin" dead-letters retry --reason schema_mismatch >"$log.retry" 2>&1 || retry_status=$?
[ "$retry_status" = 1 ] || { cat "$log.retry"; fail "retry of letters without content exited $retry_status, expected 1"; }
grep -q "body" "$log.retry" && grep -q "content" "$log.retry" && grep -q "UPDATE dualwrite.dead_letters" "$log.retry" \
  || { cat "$log.retry"; fail "the retry does not say what to do with a letter whose row has the wrong names"; }
[ "$(sql -c "SELECT count(*) FROM public.chat_messages WHERE id IN ('$(msg 2)', '$(msg 3)')")" = 0 ] \
  || fail "a letter without content was applied by the retry"
# What the runbook says to do: move the value to the legacy name, then retry.
sql -c "UPDATE dualwrite.dead_letters SET new_row = new_row - 'body' || jsonb_build_object('content', new_row -> 'body')
         WHERE reason = 'schema_mismatch' AND resolved_at IS NULL AND new_row ? 'body'"
"$bin" dead-letters retry --reason schema_mismatch >"$log.retry" 2>&1 || { cat "$log.retry"; fail "the retry of the edited letters failed"; }
[ "$(sql -c "SELECT string_agg(content, ',' ORDER BY id) FROM public.chat_messages WHERE id IN ('$(msg 2)', '$(msg 3)')")" = "renamed one,renamed two" ] \
  || fail "the retried letters did not apply: $(cat "$log.retry")"
echo "ok: retry refuses a letter with the wrong names and says what to do; edited, it applies"

# 5. ALTER COLUMN … TYPE.
err=$(sql -c "ALTER TABLE public.conversation_context ALTER COLUMN summary TYPE varchar(200)" 2>&1) \
  && fail "ALTER TYPE of a column a dualwrite_expected view uses was accepted"
grep -q "cannot alter type of a column used by a view or rule" <<<"$err" || fail "unexpected refusal: $err"
sql -c "DROP VIEW dualwrite_expected.chat_summaries"
sql -c "ALTER TABLE public.conversation_context ALTER COLUMN summary TYPE varchar(200)"
sql -c "INSERT INTO public.conversation_context (conversation_id, summary) VALUES ('$conv', 'typed')"
wait_for "SELECT count(*) FROM dualwrite.dead_letters WHERE reason = 'schema_mismatch' AND source_table = 'conversation_context' AND new_row ->> 'summary' = 'typed'"
grep -q 'conversation_context.summary has type character varying' "$log" || fail "the type change was not logged"
sql -c "ALTER TABLE public.conversation_context ALTER COLUMN summary TYPE text"
sql -c "UPDATE public.conversation_context SET summary = 'typed again'"
wait_for "SELECT count(*) FROM public.chat_summaries WHERE session_id = '$conv' AND summary = 'typed again'"
kill -0 "$daemon_pid" || fail "the daemon exited"
echo "ok: a column of another type is a schema_mismatch letter; the type restored, translation resumes"
