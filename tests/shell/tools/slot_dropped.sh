#!/usr/bin/env bash
# A dropped slot never loses data silently (issue 12, item 1). Everything runs as the
# least-privileged `dualwrite` role, except what a superuser does to break or repair things:
#   - a fresh bridge: `run` creates its slot and origin, and applies;
#   - the slot is dropped while stopped, and legacy writes go on: `run` refuses with exit 6 and
#     one line saying what happened and both ways out, creating nothing and leaving the origin
#     where it was; `check` reports it as FAIL (exit 6) with the same fix; a wrong or malformed
#     --accept-gap-from is refused (exit 2) and changes nothing;
#   - `run --accept-gap-from <the origin's LSN>` creates the slot, moves the origin to its
#     consistent point, logs the gap at warn and records it; `status` (text and JSON) and
#     `verify` (drift: the three lost writes, and a note naming the gap) report it; a restart
#     needs no flag;
#   - starting over as the refusal says (empty the new tables, `dualwrite bootstrap`) repairs the
#     gap (verify clean, the gap shown repaired), and after that bootstrap a dropped slot is
#     refused the same way (bootstrap sets the origin too).
#
#   tests/shell/tools/slot_dropped.sh BUILD_DIR   (needs DUALWRITE_TEST_CONNINFO, as scripts/test sets)
source "$(dirname "$0")/lib.sh"
new_db slotdrop
slot=$DUALWRITE_SOURCE_SLOT
superuser=$conn
export DUALWRITE_SOURCE_CONNINFO=$(sed "s/user=[^ ]*/user=dualwrite/" <<<"$conn")
user=d0000000-0000-4000-8000-000000000001
account=d0000000-0000-4000-8000-0000000000a1

origin_lsn() { sql -c "SELECT coalesce(pg_replication_origin_progress('$slot', true)::text, 'none')"; }
slots() { sql -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$slot'"; }
interactions() { sql -c "SELECT count(*) FROM public.activity_interactions"; }
wait_interactions() {  # wait_interactions N: the bridge has applied N views
  for _ in $(seq 1 200); do [ "$(interactions)" = "$1" ] && return 0; sleep 0.1; done
  return 1
}
views() {  # views SLUG...: one view of the linked user per slug, one transaction each
  for s in "$@"; do
    sql -c "INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type)
            VALUES ('$user', '$s', 'view')"
  done
}
unchanged() {  # unchanged NAME: no slot was created and the origin did not move
  if [ "$(slots)" = 0 ] && [ "$(origin_lsn)" = "$applied" ]; then
    pass "$1: no slot created, origin still at $applied"
  else
    fail "$1: slots $(slots), origin $(origin_lsn) (was $applied)"
  fi
}
json_check() {  # json_check NAME PYTHON_EXPR: `status --json` parses and EXPR (over s) holds
  local name=$1 expr=$2 status=0
  "$bin" status --json >"$tmp/json" 2>"$tmp/err" || status=$?
  if [ "$status" != 0 ]; then
    fail "$name: exit status $status: $(cat "$tmp/err")"
  elif python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$tmp/json" "$expr"; then
    pass "$name"
  else
    fail "$name: $expr does not hold for: $(cat "$tmp/json")"
  fi
}

# A fresh bridge (no origin, no slot, empty legacy tables): run creates both and applies.
start_daemon
sql -c "INSERT INTO auth.users (id) VALUES ('$user');
        INSERT INTO public.account_linkages (user_id, account_id) VALUES ('$user', '$account')"
views surf
wait_interactions 1 && pass "a fresh bridge creates its slot and origin and applies" \
  || fail "the first view was not applied: $(interactions) interactions"
stop_daemon
applied=$(origin_lsn)

# The slot is dropped while the daemon is stopped; the application goes on writing.
sql -c "SELECT pg_drop_replication_slot('$slot')" >/dev/null
views hike climb swim
expect "run refuses: exit 6, one line saying what happened and both ways out" 6 \
  "replication slot $slot does not exist, but origin $slot has applied up to $applied" \
  "dualwrite bootstrap" "dualwrite run --accept-gap-from $applied" -- timeout 30 "$bin" run
[ "$(grep -c "does not exist, but" "$tmp/out")" = 1 ] && pass "the refusal is one line" \
  || fail "the refusal is not one line: $(cat "$tmp/out")"
unchanged "the refusal"
expect "status: the slot was dropped" 0 \
  "^slot: +$slot does not exist, but origin $slot has applied up to $applied: it was dropped" \
  -- "$bin" status
expect "check: FAIL with exit 6 and the fix" 6 \
  "^FAIL origin: $slot has applied up to $applied but slot $slot does not exist" \
  "^FAIL origin: .*dualwrite run --accept-gap-from $applied" -- "$bin" check
expect "a mismatched --accept-gap-from is refused (exit 2)" 2 \
  "--accept-gap-from 0/1 does not match .*$applied" -- timeout 30 "$bin" run --accept-gap-from 0/1
expect "a malformed --accept-gap-from is refused (exit 2)" 2 \
  "--accept-gap-from" -- timeout 30 "$bin" run --accept-gap-from yesterday
unchanged "the refused flags"

# Accepting the gap, naming it: the three views written without a slot are lost, knowingly.
start_daemon --accept-gap-from "$applied"
views kayak
wait_interactions 2 && pass "after --accept-gap-from the bridge streams again" \
  || fail "the view after the gap was not applied: $(interactions) interactions"
gap=$(sql -F ' ' -c "SELECT kind, from_lsn, to_lsn, to_lsn > from_lsn, acknowledged_by FROM dualwrite.stream_gaps WHERE slot = '$slot'")
read -r kind from to later by <<<"$gap"
if [ "$kind $from $later" = "slot_recreated $applied t" ] && [ "$by" = "--accept-gap-from $applied" ]; then
  pass "the gap is recorded: $gap"
else
  fail "the gap recorded is: '$gap'"
fi
[ "$(origin_lsn)" != "$applied" ] && pass "the origin moved past the gap" || fail "the origin did not move"
grep -Eq "warning .*accepted a gap: .*$applied to $to" "$tmp/daemon.log" \
  && pass "the gap is logged at warn" || { fail "no warn line for the gap"; tail -5 "$tmp/daemon.log"; }
stop_daemon
start_daemon
stop_daemon
pass "a restart after the gap needs no flag"
expect "status: the gap" 0 \
  "^gaps: +1 recorded, 1 open; last: $applied to $to \(slot recreated, [0-9TZ:-]+, by --accept-gap-from $applied\)$" \
  -- "$bin" status
json_check "status --json: the gap" \
  's["gaps"] == [{"kind": "slot_recreated", "from_lsn": "'"$applied"'", "to_lsn": "'"$to"'",
    "recorded_at": s["gaps"][0]["recorded_at"], "acknowledged_by": "--accept-gap-from '"$applied"'",
    "repaired": False}] and s["gaps"][0]["recorded_at"].endswith("Z")'
expect "verify: drift, with a note that it may come from the recorded gap" 8 \
  "^activity_interactions [0-9a-f-]+ missing" \
  "^note: gap #[0-9]+ \($applied to $to, .*never applied, so the drift may come from it" \
  -- "$bin" verify --wait 0
expect "check passes again once the slot exists" 0 "^ok   slot: $slot" -- "$bin" check

# Starting over as the refusal says: empty the new tables, bootstrap (as the superuser until
# bootstrap works as the dualwrite role: issue 12, item 2), stream. The backfill copies the
# lost views, so the gap is repaired and verify is clean.
PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$superuser" >/dev/null <<SQL
SELECT pg_drop_replication_slot('$slot');
TRUNCATE public.accounts, public.interaction_sources, dualwrite.merged_interactions CASCADE;
DELETE FROM dualwrite.bootstrap;
SQL
expect "bootstrap again" 0 "bootstrap finished" -- env DUALWRITE_SOURCE_CONNINFO="$superuser" "$bin" bootstrap
start_daemon
wait_interactions 5 && pass "the bootstrap copied the lost views" || fail "$(interactions) interactions after the bootstrap"
stop_daemon
expect "verify: clean after the bootstrap, no note" 0 "clean$" -- "$bin" verify --wait 0
grep -q "^note: .*gap" "$tmp/out" && fail "verify still notes a repaired gap" || pass "no note for a repaired gap"
json_check "status --json: the gap is shown repaired" \
  'len(s["gaps"]) == 1 and s["gaps"][0]["repaired"]'

# Bootstrap set the origin to its consistent point: after it, a dropped slot is refused too.
applied=$(origin_lsn)
sql -c "SELECT pg_drop_replication_slot('$slot')" >/dev/null
expect "after a bootstrap, a dropped slot is refused as well" 6 \
  "replication slot $slot does not exist, but origin $slot has applied up to $applied" \
  -- timeout 30 "$bin" run
unchanged "the refusal after a bootstrap"

finish
