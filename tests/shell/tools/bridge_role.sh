#!/usr/bin/env bash
# Every command the runbook runs as the bridge's role `dualwrite` (docs/cutover.md, conventions),
# run as that role on a populated database, in the runbook's order: check, bootstrap, run,
# status (text and JSON), verify, peek, replay, dead-letters list/show/retry/resolve, and
# decommission. Each must do its job: the exit status it documents, and never a "permission
# denied" (nor, under row-level security, rows silently unseen: the backfill's letters of
# account_metadata). The database work is set up as the owner (postgres), as the runbook's SQL is.
#
#   tests/shell/tools/bridge_role.sh BUILD_DIR      (needs DUALWRITE_TEST_CONNINFO, as scripts/test sets)
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../../.." && pwd)
new_db role
slot=$DUALWRITE_SOURCE_SLOT
sql -v scale=0.02 -f "$root/sql/fixture/synthetic_data.sql" >/dev/null
# The commands connect as `dualwrite` (the test server trusts local connections; production uses
# a password file or a passfile); `sql` stays the owner.
export DUALWRITE_SOURCE_CONNINFO=$(sed "s/user=[^ ]*/user=dualwrite/" <<<"$conn")
export DUALWRITE_PROGRESS_REPLAY_WINDOW=1h  # so that replay has history to re-apply
export DUALWRITE_RECONNECT_MAX_BACKOFF=1s

# as_bridge NAME STATUS [REGEX...] -- COMMAND...: `expect`, and no privilege was missing.
as_bridge() {
  local name=$1
  expect "$@"
  if grep -Eiq "permission denied|must be (owner|superuser)" "$tmp/out"; then
    fail "$name: a privilege is missing:"
    sed 's/^/    | /' "$tmp/out"
  fi
}

# wait_for SQL: until the owner's query returns t (the daemon applied something), 30 s at most.
wait_for() {
  for _ in $(seq 1 300); do
    [ "$(sql -c "$1")" = t ] && return 0
    sleep 0.1
  done
  fail "timed out waiting for: $1"
  cat "$tmp/daemon.log"
}

as_bridge "check" 0 "^ok   target privileges: role dualwrite may" "^[0-9]+ checks: 0 failed" \
  -- "$bin" check
as_bridge "bootstrap" 0 "^created slot $slot" "^bootstrap finished: " -- "$bin" bootstrap
# account_metadata has row-level security (20261204000600): the backfill, as dualwrite, reads it
# through the bridge's policy, so the rows it cannot carry (a status outside the enum) are letters.
letters=$(sql -c "SELECT (SELECT count(*) FROM dualwrite.dead_letters WHERE source_table = 'account_metadata')
                    || ' of ' || (SELECT count(*) FROM public.account_metadata
                                   WHERE status NOT IN ('active', 'suspended', 'deleted'))")
[ "${letters%% *}" != 0 ] && [ "${letters%% *}" = "${letters##* }" ] \
  && pass "bootstrap dead-lettered the untranslatable account_metadata rows under RLS: $letters" \
  || fail "account_metadata letters after bootstrap: $letters"

start_daemon
# While it streams: an unlinked user's like (an unlinked_user letter) and a TRUNCATE of the
# emptied offline_likes (a truncate letter; its rows were deleted first, so nothing drifts).
user=a0000000-0000-4000-8000-0000000000e1
sql -c "INSERT INTO auth.users (id) VALUES ('$user');
        INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type)
        VALUES ('$user', 'surf', 'like')"
sql -c "DELETE FROM public.offline_likes" -c "TRUNCATE public.offline_likes"
wait_for "SELECT count(*) = 2 FROM dualwrite.dead_letters WHERE reason IN ('unlinked_user', 'truncate')"
as_bridge "status, daemon running" 0 "^slot: +$slot \(active" "^dead letters: +[0-9]+ unresolved" \
  -- "$bin" status
as_bridge "status --json" 0 '"daemon_running":true' -- "$bin" status --json
as_bridge "verify while streaming" 0 "0 mismatches: clean" -- "$bin" verify --wait 30s
stop_daemon

as_bridge "peek" 0 "holds changes from" -- "$bin" peek --all --limit 5
from=$(sql -c "SELECT lsn FROM dualwrite.dead_letters WHERE reason = 'unlinked_user'")
as_bridge "replay" 0 "^replayed [0-9]+ transactions" -- "$bin" replay --from "$from" --yes

unlinked=$(sql -c "SELECT id FROM dualwrite.dead_letters WHERE reason = 'unlinked_user'")
truncated=$(sql -c "SELECT id FROM dualwrite.dead_letters WHERE reason = 'truncate'")
as_bridge "dead-letters list" 0 "unlinked_user" -- "$bin" dead-letters list
as_bridge "dead-letters show" 0 '"reason": "unlinked_user"' -- "$bin" dead-letters show "$unlinked"
as_bridge "dead-letters retry, still unlinked" 1 "^$unlinked still failing" \
  -- "$bin" dead-letters retry "$unlinked"
# The fix: the user gets linked (legacy table), and the link's target rows are written as the
# bridge writes them (the expected-state views), so that the retry finds the account.
sql -c "INSERT INTO public.account_linkages (user_id, account_id) VALUES ('$user', 'b0000000-0000-4000-8000-0000000000e1')"
sql -c "INSERT INTO public.accounts SELECT * FROM dualwrite_expected.accounts WHERE id = 'b0000000-0000-4000-8000-0000000000e1';
        INSERT INTO public.account_user_links SELECT * FROM dualwrite_expected.account_user_links WHERE supabase_user_id = '$user'"
as_bridge "dead-letters retry --reason, after the fix" 0 "^1 resolved, 0 still failing" \
  -- "$bin" dead-letters retry --reason unlinked_user
as_bridge "dead-letters resolve" 0 "^$truncated resolved \(not applied\)" \
  -- "$bin" dead-letters resolve "$truncated"
for id in $(sql -c "SELECT id FROM dualwrite.dead_letters WHERE resolved_at IS NULL"); do
  "$bin" dead-letters resolve "$id" >/dev/null  # the synthetic data's letters: decided, left behind
done

# The daemon carries the link it had not streamed yet; then the last verification, and Phase 3.
start_daemon
marker=$(sql -c "INSERT INTO public.offline_likes (user_id, activity_slug) VALUES ('$user', 'marker') RETURNING 1")
wait_for "SELECT count(*) = 1 FROM public.offline_interactions WHERE activity_slug = 'marker'"
stop_daemon
as_bridge "verify, stopped" 0 "0 mismatches: clean" -- "$bin" verify --wait 0
as_bridge "check after the bootstrap" 0 "^ok   bootstrap: finished" "^[0-9]+ checks: 0 failed" \
  -- "$bin" check
as_bridge "decommission" 0 "^dropped slot $slot \(source\)" "^dropped origin $slot \(target\)" \
  "publication dualwrite_legacy \(source\).*Phase 3" -- "$bin" decommission
[ "$(sql -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot'")" = 0 ] \
  && pass "decommission dropped the slot" || fail "the slot is still there"
[ "$marker" = 1 ] || fail "marker row not written"

finish
