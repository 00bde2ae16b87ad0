#!/usr/bin/env bash
# `dualwrite peek` and `dualwrite replay` as an engineer runs them, with the real daemon:
#   - the daemon (replay window 1h, so the slot keeps what it applied) applies a mixed workload;
#   - while it runs, peek and replay refuse with one line (the slot is in use);
#   - stopped, with new legacy changes pending: peek prints them (text and JSON), consumes
#     nothing (slot positions unchanged), and a following `dualwrite run` still applies them;
#   - replay of the held range, twice, leaves every target table and the dead letters as they
#     were, and moves neither the slot nor the origin;
#   - replay --target into a fresh database (same reference data) gives the same rows;
#   - bad LSNs, --to before --from, no --yes without a terminal, and a range the slot no longer
#     holds (after the daemon confirmed past it) are refused with exit status 2.
#
#   tests/shell/replay/replay.sh BUILD_DIR    (needs DUALWRITE_TEST_CONNINFO, as scripts/test sets)
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
source "$root/scripts/lib/common.sh"
source "$root/tests/shell/lib/children.sh"
source "$root/tests/shell/streaming.sh"
bin=${1:?usage: replay.sh BUILD_DIR}/dualwrite
: "${DUALWRITE_TEST_CONNINFO:?run through scripts/test (DUALWRITE_TEST_CONNINFO is not set)}"
bindir=$(dw_pg_bindir)

failures=0
passed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
ko() { echo "FAIL $1"; failures=$((failures + 1)); }
expect() {  # expect NAME COMMAND...: the command must succeed
  local name=$1; shift
  if "$@"; then ok "$name"; else ko "$name"; fi
}
refused() {  # refused NAME EXPECTED_STDERR_REGEX -- COMMAND...: exit 2, one line matching
  local name=$1 pattern=$2; shift 3
  local err status=0
  err=$("$@" 2>&1 >/dev/null </dev/null) || status=$?
  if [ "$status" = 2 ] && grep -Eq -- "$pattern" <<<"$err" && [ "$(wc -l <<<"$err")" = 1 ]; then
    ok "$name"
  else
    ko "$name: status $status, stderr: $err"
  fi
}

tmp=$(mktemp -d)
db=replay_$$_$RANDOM
db2=${db}_rehearsal
admin=$DUALWRITE_TEST_CONNINFO
conn=$(sed "s/dbname=[^ ]*/dbname=$db/" <<<"$admin")
conn2=$(sed "s/dbname=[^ ]*/dbname=$db2/" <<<"$admin")
sql() { psql -X -qtA -v ON_ERROR_STOP=1 "$conn" "$@"; }
daemon_pid=""
cleanup() {
  signal_child KILL "$daemon_pid" || true
  psql -X -q "$admin" >/dev/null 2>&1 <<SQL || true
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$db';
SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname = '$db';
DROP DATABASE IF EXISTS $db WITH (FORCE);
DROP DATABASE IF EXISTS $db2 WITH (FORCE);
SQL
  rm -rf "$tmp"
}
trap cleanup EXIT
for d in "$db" "$db2"; do
  psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE $d TEMPLATE dualwrite_template" >/dev/null
done

export DUALWRITE_SOURCE_CONNINFO=$conn
export DUALWRITE_SOURCE_SLOT=$db
export DUALWRITE_SOURCE_ORIGIN=$db
export DUALWRITE_METRICS_LISTEN=""
export DUALWRITE_PROGRESS_REPLAY_WINDOW=1h
export DUALWRITE_PROGRESS_STATUS_INTERVAL=1s

start_daemon() {
  "$bin" run >>"$tmp/daemon.log" 2>&1 &
  daemon_pid=$!
  wait_streaming "$conn" "$db" && return 0
  echo "the daemon did not start:"; tail -20 "$tmp/daemon.log"; exit 1
}
stop_daemon() {
  terminate_daemon
  [ "$daemon_status" = 0 ] || { echo "the daemon exited with $daemon_status:"; tail -20 "$tmp/daemon.log"; exit 1; }
}
# Until the daemon reports (replay_lsn: walEnd once idle) everything written so far as applied.
wait_applied() {
  local target
  target=$(sql -c "SELECT pg_current_wal_lsn()")
  for _ in $(seq 1 300); do
    [ "$(sql -c "SELECT coalesce(bool_or(r.replay_lsn >= '$target'), false) FROM pg_replication_slots s
                 JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = '$db'")" = t ] && return 0
    sleep 0.1
  done
  echo "the daemon did not catch up:"; tail -20 "$tmp/daemon.log"; exit 1
}
positions() {
  sql -c "SELECT s.confirmed_flush_lsn || ' ' || s.restart_lsn || ' ' ||
                 coalesce(pg_replication_origin_progress('$db', true)::text, '-')
            FROM pg_replication_slots s WHERE s.slot_name = '$db'"
}
# One line per target table (md5 of its rows in order) and the dead letters without ids, times
# and attempt counts (a replay retries letters, which counts attempts).
snapshot() {
  psql -X -qtA -v ON_ERROR_STOP=1 "$1" <<'SQL'
SELECT t || ' ' || md5(coalesce(string_agg(r, E'\n' ORDER BY r), '')) || ' ' || count(r)
  FROM unnest(ARRAY['accounts', 'account_user_links', 'account_profiles', 'account_settings',
                    'activity_interactions', 'interaction_sources', 'recommendation_runs',
                    'recommendation_items', 'offline_interactions', 'chat_sessions',
                    'chat_messages', 'chat_summaries']) t
  LEFT JOIN LATERAL (SELECT r FROM (SELECT x::text AS r, 'accounts' AS k FROM public.accounts x
    UNION ALL SELECT x::text, 'account_user_links' FROM public.account_user_links x
    UNION ALL SELECT x::text, 'account_profiles' FROM public.account_profiles x
    UNION ALL SELECT x::text, 'account_settings' FROM public.account_settings x
    UNION ALL SELECT x::text, 'activity_interactions' FROM public.activity_interactions x
    UNION ALL SELECT x::text, 'interaction_sources' FROM public.interaction_sources x
    UNION ALL SELECT x::text, 'recommendation_runs' FROM public.recommendation_runs x
    UNION ALL SELECT x::text, 'recommendation_items' FROM public.recommendation_items x
    UNION ALL SELECT x::text, 'offline_interactions' FROM public.offline_interactions x
    UNION ALL SELECT x::text, 'chat_sessions' FROM public.chat_sessions x
    UNION ALL SELECT x::text, 'chat_messages' FROM public.chat_messages x
    UNION ALL SELECT x::text, 'chat_summaries' FROM public.chat_summaries x) a WHERE a.k = t) rows ON true
 GROUP BY t ORDER BY t;
SELECT 'dead_letters ' || md5(coalesce(string_agg(r, E'\n' ORDER BY r), '')) || ' ' || count(*)
  FROM (SELECT concat_ws(' ', source_table, operation, reason, lsn, xid, old_key, new_row,
                         resolved_at IS NOT NULL) r FROM dualwrite.dead_letters) d;
SQL
}

# 1. The daemon applies a mixed workload; the replay window keeps it in the slot.
start_daemon
sql -f "$root/bench/workload/setup.sql" >/dev/null
"$bindir/pgbench" -n -c 2 -j 1 -t 40 \
  -f "$root/bench/workload/feedback.sql@10" -f "$root/bench/workload/suggestion.sql@2" \
  -f "$root/bench/workload/chat.sql@3" -f "$root/bench/workload/profile.sql@1" \
  -f "$root/bench/workload/offline.sql@2" -f "$root/bench/workload/link.sql@2" \
  "$conn" >"$tmp/pgbench.log" 2>&1 || { cat "$tmp/pgbench.log"; exit 1; }
wait_applied
held_from=$(sql -c "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$db'")

# 2. Not while the daemon holds the slot.
refused "peek while the daemon runs" "slot $db is in use by the running daemon \(walsender pid [0-9]+\): stop it \(systemctl stop dualwrite\) to peek/replay" -- "$bin" peek
refused "replay while the daemon runs" "slot $db is in use by the running daemon" -- "$bin" replay --from "$held_from" --yes
stop_daemon

# 3. Pending changes: peek shows them and consumes nothing; the next run applies them.
sql -c "INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type)
        VALUES (md5('user1')::uuid, 'act-1', 'like'), (md5('user1')::uuid, 'act-2', 'bogus')" >/dev/null
liked=$(sql -c "SELECT max(id) - 1 FROM public.activity_feedback")
deleted=$(sql -c "SELECT min(id) FROM public.activity_feedback")
sql -c "DELETE FROM public.activity_feedback WHERE id = $deleted" >/dev/null
before=$(positions)
"$bin" peek >"$tmp/peek.txt"
expect "peek prints the header" grep -Eq "^slot $db \(publication dualwrite_legacy\) holds changes from $held_from; applied up to " "$tmp/peek.txt"
expect "peek notes that accounts are resolved at apply time" grep -q "accounts are resolved at apply time" "$tmp/peek.txt"
expect "peek prints the transaction" grep -Eq "^transaction [0-9]+ commit [0-9A-F]+/[0-9A-F]+ end [0-9A-F]+/[0-9A-F]+ at 20[0-9-]+T" "$tmp/peek.txt"
expect "peek prints the write of an insert" grep -Eq "^  activity_feedback insert id=$liked -> feedback_insert activity_interactions [0-9a-f-]{36}$" "$tmp/peek.txt"
expect "peek prints the dead letter" grep -Eq "^  activity_feedback insert id=$((liked + 1)) -> dead letter: unknown_enum_value: feedback_type 'bogus'" "$tmp/peek.txt"
expect "peek prints the write of a delete" grep -Eq "^  activity_feedback delete id=$deleted -> feedback_delete activity_interactions " "$tmp/peek.txt"
expect "peek counts what it showed" grep -Eq "^3 changes in 2 transactions shown; the slot holds no more$" "$tmp/peek.txt"
expect "peek skips what was applied" grep -Eq "^[0-9]+ transactions already applied \(kept by \[progress\] replay_window\) not shown" "$tmp/peek.txt"
"$bin" peek --limit 1 | grep -q "the slot holds more (raise --limit" && ok "peek --limit" || ko "peek --limit"
"$bin" peek --json | python3 -c '
import json, sys
rows = [json.loads(line) for line in sys.stdin]
assert [(r["table"], r["operation"]) for r in rows] == [("activity_feedback", "insert")] * 2 + [("activity_feedback", "delete")], rows
assert rows[0]["writes"][0]["op"] == "feedback_insert" and rows[0]["dead_letter"] is None
assert rows[1]["writes"] == [] and rows[1]["dead_letter"]["reason"] == "unknown_enum_value"
assert all(not r["applied"] and r["end_lsn"] and r["commit_lsn"] for r in rows)
' && ok "peek --json" || ko "peek --json"
[ "$(positions)" = "$before" ] && ok "peek consumes nothing (slot and origin unchanged)" || ko "peek moved: $before -> $(positions)"
# Replay re-applies only what was applied: a range in which no transaction ends (the byte before
# the applied position, where the last applied one ends) is nothing, and it names what the
# daemon has yet to apply.
applied=$(sql -c "SELECT pg_replication_origin_progress('$db', true)")
just_before=$(sql -c "SELECT '0/0'::pg_lsn + ('$applied'::pg_lsn - '0/0'::pg_lsn - 1)")
"$bin" replay --from "$just_before" --to "$just_before" --yes >"$tmp/pending.txt" 2>&1
grep -q "^nothing to replay: no transaction the slot holds ends in $just_before..$just_before$" "$tmp/pending.txt" \
  && grep -q "^the slot also holds 2 transactions past the applied position $applied, not yet applied: the daemon applies those (dualwrite run)$" "$tmp/pending.txt" \
  && [ "$(positions)" = "$before" ] && ok "replay of a range without transactions names what the daemon has yet to apply" \
  || ko "replay of an empty range: $(cat "$tmp/pending.txt")"
start_daemon
wait_applied
stop_daemon
[ "$(sql -c "SELECT count(*) FROM dualwrite.dead_letters WHERE new_row->>'feedback_type' = 'bogus'")" = 1 ] \
  && ok "the next run applied the peeked changes" || ko "the peeked changes were not applied"

# 4. Replay of the held range, twice: nothing changes, nothing moves.
snapshot "$conn" >"$tmp/before"
grep -Eq "^activity_interactions [0-9a-f]{32} [1-9]" "$tmp/before" && grep -Eq "^dead_letters [0-9a-f]{32} [1-9]" "$tmp/before" \
  || { echo "the workload wrote nothing to replay:"; cat "$tmp/before"; exit 1; }
before=$(positions)
refused "replay asks for --yes without a terminal" "add --yes to confirm" -- "$bin" replay --from "$held_from"
if command -v script >/dev/null; then  # util-linux: a terminal to be asked on
  status=0
  echo n | script -qec "$bin replay --from $held_from" /dev/null >"$tmp/declined.txt" 2>&1 || status=$?
  [ "$status" = 2 ] && grep -q "proceed? \[y/N\] dualwrite: replay declined: nothing was written" "$tmp/declined.txt" \
    && ok "replay asks on a terminal, and a no writes nothing" || ko "declined replay: $status $(cat "$tmp/declined.txt")"
fi
for round in 1 2; do
  if "$bin" replay --from "$held_from" --yes >"$tmp/replay$round.txt" 2>&1 \
      && grep -Eq "^replayed [1-9][0-9]* transactions .*: [1-9][0-9]* changes, [0-9]+ rows written, [1-9][0-9]* dead letters \(0 new\)" "$tmp/replay$round.txt"; then
    ok "replay $round"
  else
    ko "replay $round: $(cat "$tmp/replay$round.txt")"
  fi
  snapshot "$conn" >"$tmp/after$round"
  diff "$tmp/before" "$tmp/after$round" >/dev/null && ok "replay $round left the target as it was" \
    || ko "replay $round changed the target: $(diff "$tmp/before" "$tmp/after$round")"
done
[ "$(positions)" = "$before" ] && ok "replay moved neither slot nor origin" || ko "replay moved: $before -> $(positions)"

# 5. A rehearsal on a fresh database with the same reference data: the same rows.
for table in auth.users public.activities; do
  psql -X -q "$conn" -c "COPY $table TO STDOUT" | psql -X -q -v ON_ERROR_STOP=1 "$conn2" -c "COPY $table FROM STDIN"
done
"$bin" replay --from "$held_from" --target "$conn2" >"$tmp/rehearsal.txt" 2>&1 \
  && grep -q "onto database $db2 on .* (--target)" "$tmp/rehearsal.txt" && ok "replay --target" \
  || ko "replay --target: $(cat "$tmp/rehearsal.txt")"
snapshot "$conn2" >"$tmp/rehearsal"
diff "$tmp/before" "$tmp/rehearsal" >/dev/null && ok "the rehearsal database has the same rows" \
  || ko "the rehearsal differs: $(diff "$tmp/before" "$tmp/rehearsal")"

# 6. Refusals.
refused "malformed --from" "--from 'zz' is not a WAL position" -- "$bin" replay --from zz --yes
refused "--to before --from" "--to 0/1 is before --from $held_from" -- "$bin" replay --from "$held_from" --to 0/1 --yes
# The daemon without a replay window confirms everything: the old range is released.
DUALWRITE_PROGRESS_REPLAY_WINDOW=0s start_daemon
sql -c "INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type) VALUES (md5('user2')::uuid, 'act-3', 'view')" >/dev/null
wait_applied
for _ in $(seq 1 100); do
  [ "$(sql -c "SELECT confirmed_flush_lsn > '$held_from' FROM pg_replication_slots WHERE slot_name = '$db'")" = t ] && break
  sleep 0.1
done
stop_daemon
oldest=$(sql -c "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$db'")
refused "a range the slot no longer holds" "--from $held_from is older than what the slot still holds: the oldest replayable position is $oldest \(keep more applied history with \[progress\] replay_window\)" -- "$bin" replay --from "$held_from" --yes

echo "$passed passed, $failures failed"
[ "$failures" = 0 ]
