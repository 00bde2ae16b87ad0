#!/usr/bin/env bash
# The Phase 2 switch under concurrent clients (run by tests/pgtap/phase/run, which prepares the
# database and exports DW_TEST_DB_CONNINFO):
#   1. a transaction holding a legacy table makes the switch fail within lock_wait, cleanly:
#      nothing switched, the client's transaction commits normally;
#   2. a switch waiting for such a transaction queues the clients that come after it; when it
#      commits they run against the views: a queued INSERT under the legacy name lands in the new
#      tables (not in the now-frozen legacy table), a queued read returns rows: no client sees
#      neither the table nor the view, and none fails.
set -euo pipefail
: "${DW_TEST_DB_CONNINFO:?run through tests/pgtap/phase/run}"
db=$DW_TEST_DB_CONNINFO
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "not ok - $1"; fail=1; fi; }
q() { psql -X -qtA -v ON_ERROR_STOP=1 "$db" -c "$1"; }

user=$(q "SELECT user_id FROM public.account_linkages ORDER BY user_id LIMIT 1")
conv=$(q "SELECT id FROM public.chatbot_conversations ORDER BY id LIMIT 1")

# 1. A long transaction on a legacy table: the switch gives up after lock_wait.
psql -X -q -v ON_ERROR_STOP=1 "$db" >"$work/long1.out" 2>&1 <<SQL &
BEGIN;
INSERT INTO public.chatbot_messages (conversation_id, role, content) VALUES ('$conv', 'user', 'long transaction 1');
SELECT pg_sleep(4);
COMMIT;
SQL
long1=$!
sleep 1
set +e
psql -X -q -v ON_ERROR_STOP=1 "$db" -v slot= -v lock_wait=1s -f "$DW_ROOT/sql/phase2/switch.sql" >"$work/switch1.out" 2>&1
switch1=$?
set -e
wait "$long1"; long1_rc=$?
check "a switch that cannot lock the legacy tables in lock_wait fails" '[ "$switch1" -ne 0 ]'
check "and says why" 'grep -q "the legacy tables could not be locked within 00:00:01" "$work/switch1.out"'
check "nothing switched" '[ "$(q "SELECT compat.switched()")" = f ]'
check "the client's transaction committed" '[ "$long1_rc" -eq 0 ] && [ "$(q "SELECT count(*) FROM public.chatbot_messages WHERE content = '"'"'long transaction 1'"'"'")" = 1 ]'

# 2. The switch waits behind a transaction; clients arrive behind the switch.
psql -X -q -v ON_ERROR_STOP=1 "$db" >"$work/long2.out" 2>&1 <<SQL &
BEGIN;
INSERT INTO public.chatbot_messages (conversation_id, role, content) VALUES ('$conv', 'user', 'long transaction 2');
SELECT pg_sleep(3);
COMMIT;
SQL
long2=$!
sleep 1
psql -X -q -v ON_ERROR_STOP=1 "$db" -v slot= -v lock_wait=20s -f "$DW_ROOT/sql/phase2/switch.sql" >"$work/switch2.out" 2>&1 &
switch2=$!
sleep 0.7
psql -X -qtA -v ON_ERROR_STOP=1 "$db" \
  -c "INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type) VALUES ('$user', 'queued-writer', 'view') RETURNING feedback_type" \
  >"$work/writer.out" 2>&1 &
writer=$!
psql -X -qtA -v ON_ERROR_STOP=1 "$db" -c "SELECT count(*) > 0 FROM public.activity_feedback" >"$work/reader.out" 2>&1 &
reader=$!
# Both must still be waiting here (behind the switch, which is behind the long transaction).
sleep 0.5
check "clients arriving during the switch wait for it" \
  '[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = '"'"'Lock'"'"' AND query LIKE '"'"'%activity_feedback%'"'"'")" -ge 2 ]'
rc=0; wait "$long2" || rc=$?; check "the long transaction commits" '[ "$rc" -eq 0 ]'
rc=0; wait "$switch2" || rc=$?; check "the switch goes through once it has the locks" '[ "$rc" -eq 0 ] && grep -q "switched:" "$work/switch2.out"'
rc=0; wait "$writer" || rc=$?; check "the queued INSERT succeeds" '[ "$rc" -eq 0 ] && grep -qx view "$work/writer.out"'
rc=0; wait "$reader" || rc=$?; check "the queued read succeeds" '[ "$rc" -eq 0 ] && grep -qx t "$work/reader.out"'
check "the queued INSERT landed in the new tables" \
  '[ "$(q "SELECT count(*) FROM public.activity_interactions WHERE activity_slug = '"'"'queued-writer'"'"'")" = 1 ]'
check "and not in the legacy table" \
  '[ "$(q "SELECT count(*) FROM legacy.activity_feedback WHERE activity_slug = '"'"'queued-writer'"'"'")" = 0 ]'

if [ "$fail" -ne 0 ]; then
  for f in "$work"/*.out; do echo "--- $f"; cat "$f"; done
  exit 1
fi
