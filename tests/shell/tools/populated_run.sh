#!/usr/bin/env bash
# `run` on a populated database without `bootstrap` (issue 12, item 7), as the least-privileged
# `dualwrite` role:
#   - the legacy tables hold rows and no bootstrap is recorded: `run` refuses with exit 2 and
#     one line naming the tables and the command to run (`dualwrite bootstrap`), or the flag that
#     starts empty deliberately; it creates no slot, no origin;
#   - `run --skip-backfill` starts empty: it streams what changes from then on, logs at warn
#     that the existing rows are not copied and records that in dualwrite.stream_gaps, which
#     `status` reports; a restart needs no flag (the bridge is no longer fresh);
#   - an empty database needs no flag (the other daemon tests start that way);
#   - rows the role reads through its policy only count too: account_metadata has row-level
#     security (migration 20261204000600); without the bridge's dualwrite_read policy `run` would
#     see it empty and start streaming, never copying it, so it refuses (exit 4) naming the policy.
#
#   tests/shell/tools/populated_run.sh BUILD_DIR  (needs DUALWRITE_TEST_CONNINFO, as scripts/test sets)
source "$(dirname "$0")/lib.sh"
new_db populated
slot=$DUALWRITE_SOURCE_SLOT
export DUALWRITE_SOURCE_CONNINFO=$(sed "s/user=[^ ]*/user=dualwrite/" <<<"$conn")
user=e0000000-0000-4000-8000-000000000001

nothing_created() {  # nothing_created NAME
  local objects
  objects=$(sql -c "SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot') || ' ' ||
                           (SELECT count(*) FROM pg_replication_origin WHERE roname = '$slot')")
  [ "$objects" = "0 0" ] && pass "$1: no slot, no origin created" || fail "$1: slots and origins: $objects"
}

# Only the JSON store holds a row: RLS is on there, and the bridge reads it through its policy.
sql -c "INSERT INTO public.account_metadata (account_id) VALUES ('e0000000-0000-4000-8000-0000000000a1')"
expect "run refuses when only account_metadata (under row-level security) holds rows" 2 \
  "the legacy tables hold rows \(public.account_metadata\) and slot $slot was never bootstrapped" \
  -- timeout 30 "$bin" run
nothing_created "the refusal over account_metadata"
# Without that policy the table would read as empty: `run` refuses to guess, naming the policy.
sql -c "DROP POLICY dualwrite_read ON public.account_metadata"
expect "run refuses when the role cannot see account_metadata's rows: exit 4, the policy named" 4 \
  "cannot tell whether the legacy tables are empty: public.account_metadata has row-level security and no policy lets role dualwrite read it .*CREATE POLICY dualwrite_read ON public.account_metadata FOR SELECT TO dualwrite USING \(true\)" \
  -- timeout 30 "$bin" run
nothing_created "the refusal without the policy"
sql -c "CREATE POLICY dualwrite_read ON public.account_metadata FOR SELECT TO dualwrite USING (true)"
sql -c "DELETE FROM public.account_metadata"

# The application wrote before the bridge was set up.
sql -c "INSERT INTO auth.users (id) VALUES ('$user');
        INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type)
        VALUES ('$user', 'surf', 'view'), ('$user', 'hike', 'like');
        INSERT INTO public.offline_likes (user_id, activity_slug) VALUES ('$user', 'swim')"
expect "run refuses on a populated database never bootstrapped: exit 2, one line" 2 \
  "the legacy tables hold rows \(public.activity_feedback, public.offline_likes\) and slot $slot was never bootstrapped" \
  "run \`dualwrite bootstrap\`" "dualwrite run --skip-backfill" -- timeout 30 "$bin" run
[ "$(grep -c "never bootstrapped" "$tmp/out")" = 1 ] && pass "the refusal is one line" \
  || fail "the refusal is not one line: $(cat "$tmp/out")"
nothing_created "the refusal"

# Deliberately empty: stream from now, leave the existing rows behind.
start_daemon --skip-backfill
sql -c "INSERT INTO public.offline_likes (user_id, activity_slug) VALUES ('$user', 'kayak')"
for _ in $(seq 1 200); do
  [ "$(sql -c "SELECT count(*) FROM dualwrite.dead_letters")" = 1 ] && break
  sleep 0.1
done
[ "$(sql -c "SELECT count(*) FROM dualwrite.dead_letters WHERE new_row->>'activity_slug' = 'kayak'")" = 1 ] \
  && pass "--skip-backfill streams what changes from then on (an unlinked user's like: a dead letter)" \
  || fail "the change after the start was not applied"
gap=$(sql -F ' ' -c "SELECT kind, from_lsn IS NULL, to_lsn IS NOT NULL, acknowledged_by FROM dualwrite.stream_gaps WHERE slot = '$slot'")
[ "$gap" = "not_backfilled t t --skip-backfill" ] && pass "the rows left behind are recorded: $gap" \
  || fail "dualwrite.stream_gaps holds: '$gap'"
to=$(sql -c "SELECT to_lsn FROM dualwrite.stream_gaps WHERE slot = '$slot'")
grep -Eq "warning .*--skip-backfill: .*not copied" "$tmp/daemon.log" \
  && pass "logged at warn" || { fail "no warn line for --skip-backfill"; tail -5 "$tmp/daemon.log"; }
stop_daemon
start_daemon
stop_daemon
pass "a restart needs no flag"
expect "status reports the rows left behind" 0 \
  "^gaps: +1 recorded, 1 open; last: rows before $to not copied \(not backfilled, [0-9TZ:-]+, by --skip-backfill\)$" \
  -- "$bin" status

finish
