#!/usr/bin/env bash
# `dualwrite status` and `status --json` on a real database: without a slot (exit 0, says so),
# with the daemon running, and stopped with dead letters, a verify run and a bootstrap recorded;
# the JSON is parsed and its fields compared with what was written.
#
#   tests/shell/tools/status.sh BUILD_DIR      (needs DUALWRITE_TEST_CONNINFO, as scripts/test sets)
source "$(dirname "$0")/lib.sh"
new_db status
slot=$DUALWRITE_SOURCE_SLOT

# json_check NAME PYTHON_EXPR: `status --json` parses, and EXPR (over `s`, the object) holds.
json_check() {
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

expect "no slot: exit 0, and it says so" 0 \
  "^slot: +$slot does not exist" "^origin: +$slot does not exist" "^lag bytes: +unknown" \
  "^last verification: +none" "^bootstrap: +none recorded" -- "$bin" status
json_check "no slot: --json" \
  's["slot"] == {"name": "'"$slot"'", "exists": False, "active": False, "active_pid": None, "wal_status": None, "restart_lsn": None}
   and s["applied_lsn"] is None and s["lag_bytes"] is None and s["lag_seconds"] is None
   and s["retained_wal_bytes"] is None and s["last_verification"] is None and s["bootstrap"] is None
   and s["dead_letters"] == {"unresolved": 0, "by_reason": {}} and "/" in s["source_current_lsn"]'

start_daemon
expect "daemon running" 0 "^slot: +$slot \(active, walsender pid [0-9]+, wal_status reserved\)" \
  "^applied LSN: +[0-9A-F]+/[0-9A-F]+" "^lag bytes: +[0-9]+ bytes" -- "$bin" status
json_check "daemon running: --json" \
  's["daemon_running"] and s["slot"]["active"] and s["slot"]["active_pid"] > 0
   and s["origin"]["exists"] and s["applied_lsn"] is not None and isinstance(s["lag_bytes"], int)
   and (s["lag_seconds"] is None or s["lag_seconds"] >= 0) and s["retained_wal_bytes"] >= 0'
stop_daemon

sql >/dev/null <<'SQL'
INSERT INTO dualwrite.dead_letters (source_table, operation, new_row, lsn, reason, detail)
VALUES ('activity_feedback', 'insert', '{}', '0/1000', 'unlinked_user', 'no account'),
       ('activity_feedback', 'insert', '{}', '0/1000', 'unlinked_user', 'no account'),
       ('offline_likes', 'truncate', NULL, '0/1000', 'truncate', 'TRUNCATE is never mirrored'),
       ('offline_likes', 'truncate', NULL, '0/1000', 'truncate', 'resolved one');
UPDATE dualwrite.dead_letters SET resolved_at = now() WHERE detail = 'resolved one';
INSERT INTO dualwrite.verify_runs (started_at, finished_at, source_lsn, applied_lsn, mismatches, clean)
VALUES ('2026-01-01 10:00:00+00', '2026-01-01 10:05:00+00', '0/AB', '0/CD', 0, true),
       ('2026-01-02 10:00:00+00', '2026-01-02 10:07:30+00', '0/1234', '0/ABCD', 3, false);
SQL
sql -c "INSERT INTO dualwrite.bootstrap (slot, publication, origin, consistent_point) VALUES ('$slot', 'dualwrite_legacy', '$slot', '0/16B3748');
        INSERT INTO dualwrite.bootstrap_chunks (slot, step, chunk, ordinal, done_at)
        VALUES ('$slot', 'accounts', 1, 1, now()), ('$slot', 'accounts', 2, 1, now()), ('$slot', 'chat_sessions', 1, 2, NULL)"
expect "daemon stopped, with dead letters, a verify run and a bootstrap" 0 \
  "^slot: +$slot \(inactive: the daemon is not running" \
  "^lag seconds: +unknown \(daemon not running\)" \
  "^dead letters: +3 unresolved \(truncate 1, unlinked_user 2\)$" \
  "^last verification: +#2 finished 2026-01-02T10:07:30Z, NOT clean, 3 mismatches, applied 0/ABCD$" \
  "^bootstrap: +unfinished, 2/3 chunks done \(consistent point 0/16B3748\)$" -- "$bin" status
json_check "--json: dead letters, verify run, bootstrap" \
  's["dead_letters"] == {"unresolved": 3, "by_reason": {"truncate": 1, "unlinked_user": 2}}
   and s["last_verification"] == {"id": 2, "started_at": "2026-01-02T10:00:00Z", "finished_at": "2026-01-02T10:07:30Z", "clean": False, "mismatches": 3, "applied_lsn": "0/ABCD"}
   and s["bootstrap"] == {"finished": False, "consistent_point": "0/16B3748", "started_at": s["bootstrap"]["started_at"], "finished_at": None, "chunks_done": 2, "chunks_total": 3, "snapshots": 1}
   and not s["daemon_running"] and s["slot"]["exists"] and s["lag_seconds"] is None
   and s["confirmed_lsn"] is not None and s["origin"]["lsn"] is not None'

# Every key line of the text form is aligned: the values start in one column.
"$bin" status >"$tmp/text"
columns=$(sed -E 's/^([^:]+: +).*/\1/' "$tmp/text" | awk '{ print length($0) }' | sort -u | wc -l)
[ "$columns" = 1 ] && pass "text: values aligned" || { fail "text: values not aligned"; cat "$tmp/text"; }

expect "unreachable source: exit 4, one line" 4 "^dualwrite: source: cannot connect" \
  -- env DUALWRITE_SOURCE_CONNINFO="host=/nonexistent dbname=x" "$bin" status
expect "unreachable target: exit 5, one line" 5 "^dualwrite: target: cannot connect" \
  -- env DUALWRITE_TARGET_CONNINFO="host=/nonexistent dbname=x" "$bin" status --json

finish
