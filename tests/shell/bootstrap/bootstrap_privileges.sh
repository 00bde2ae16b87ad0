#!/usr/bin/env bash
# `dualwrite bootstrap` as the bridge's role `dualwrite` when a privilege is missing:
#   * missing from the start: it refuses before creating anything (no slot, origin or record),
#     naming the GRANT, as `check` does;
#   * taken away after its checks and before it recorded its start: the slot it had just created
#     is dropped, so the next run starts afresh instead of refusing an existing slot;
#   * taken away midway (the backfill half done): the chunks done are kept; a rerun refuses up
#     front, changing nothing, until the privilege is back, then resumes and finishes, and the
#     daemon streams from the consistent point: the new tables equal the mapping.
# A privilege is taken away "while it runs" deterministically: a session locks the table, waits
# until the bootstrap queues behind the lock, revokes, and commits.
#   tests/shell/bootstrap/bootstrap_privileges.sh BUILD_DIR
source "$(dirname "$0")/lib.sh" "$1" 0.02
export DUALWRITE_SOURCE_CONNINFO=$(sed "s/user=[^ ]*/user=dualwrite/" <<<"$conn")
failures=0
hold_pid=""
check() {  # check NAME EXPECTED_STATUS EXPECTED_OUTPUT_REGEX... -- COMMAND...
  local name=$1 want=$2; shift 2
  local patterns=()
  while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
  shift
  local out status=0 p bad=""
  out=$("$@" 2>&1) || status=$?
  [ "$status" = "$want" ] || bad="status $status (want $want);"
  for p in "${patterns[@]}"; do grep -Eq -- "$p" <<<"$out" || bad+=" no line matches /$p/;"; done
  if [ -n "$bad" ]; then
    echo "FAIL $name: $bad output:"; sed 's/^/    | /' <<<"$out"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}
same() {  # same NAME ACTUAL WANTED
  if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: $2, want $3"; failures=$((failures + 1)); fi
}
# "<slots> <origins> <bootstrap records>" of this test's bridge.
objects() {
  sql -c "SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$db') || ' ' ||
                 (SELECT count(*) FROM pg_replication_origin WHERE roname = '$db') || ' ' ||
                 (SELECT count(*) FROM dualwrite.bootstrap WHERE slot = '$db')"
}
# revoke_while_waiting TABLE PRIVILEGE: a session locks TABLE and, once someone waits for it,
# revokes PRIVILEGE on it from dualwrite and commits (in the background: hold_pid).
revoke_while_waiting() {
  psql -X -q -v ON_ERROR_STOP=1 "$conn" >>"$work/hold.log" 2>&1 <<SQL &
BEGIN;
LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE;
DO \$\$
BEGIN
  FOR i IN 1..600 LOOP
    EXIT WHEN EXISTS (SELECT FROM pg_locks WHERE relation = '$1'::regclass AND NOT granted);
    PERFORM pg_sleep(0.1);
  END LOOP;
END
\$\$;
REVOKE $2 ON $1 FROM dualwrite;
COMMIT;
SQL
  hold_pid=$!
  for _ in $(seq 1 100); do
    [ "$(sql -c "SELECT count(*) FROM pg_locks WHERE relation = '$1'::regclass AND granted
                   AND mode = 'AccessExclusiveLock'")" = 1 ] && return 0
    sleep 0.1
  done
  fail "could not lock $1"
}

# 1. Missing from the start.
sql -c "REVOKE INSERT ON public.chat_messages FROM dualwrite"
check "missing from the start: refused, naming the GRANT" 5 \
  "role dualwrite lacks INSERT on public.chat_messages: GRANT INSERT ON public.chat_messages TO dualwrite" \
  "Bootstrap changed nothing: grant, then run it again" -- "$bin" bootstrap
same "missing from the start: no slot, origin or record" "$(objects)" "0 0 0"
check "check names the same GRANT" 5 \
  "^FAIL target privileges: role dualwrite lacks INSERT on public.chat_messages: GRANT INSERT ON public.chat_messages TO dualwrite" \
  -- "$bin" check
sql -c "GRANT INSERT ON public.chat_messages TO dualwrite"

# 2. Taken away before the start is recorded: the new slot goes again.
revoke_while_waiting dualwrite.bootstrap INSERT
check "lost before the record: fails, and drops the slot it created" 5 \
  "permission denied for table bootstrap \(nothing was recorded: run bootstrap again\)" \
  "dualwrite check. names it" "^dropped slot $db, created by this run before it failed" \
  -- "$bin" bootstrap
wait "$hold_pid"
same "lost before the record: no slot, origin or record" "$(objects)" "0 0 0"
sql -c "GRANT INSERT ON dualwrite.bootstrap TO dualwrite"

# 3. Taken away midway: the chat messages cannot be written.
revoke_while_waiting public.chat_messages INSERT
check "lost midway: fails, keeping what is done" 5 \
  "permission denied for table chat_messages.*the chunks done so far are kept: run bootstrap again to resume" \
  -- "$bin" bootstrap
wait "$hold_pid"
same "lost midway: slot, origin and record stay" "$(objects)" "1 1 1"
done_before=$(sql -c "SELECT count(*) FILTER (WHERE done_at IS NOT NULL) || '/' || count(*) || ' ' ||
                             (SELECT snapshots FROM dualwrite.bootstrap WHERE slot = '$db')
                        FROM dualwrite.bootstrap_chunks WHERE slot = '$db'")
[[ "$done_before" =~ ^([1-9][0-9]*)/([0-9]+)\ 1$ ]] && [ "${BASH_REMATCH[1]}" -lt "${BASH_REMATCH[2]}" ] \
  && echo "ok   lost midway: some chunks done, not all ($done_before)" \
  || { echo "FAIL lost midway: chunks done/planned snapshots: $done_before"; failures=$((failures + 1)); }
check "rerun without the privilege: refused up front" 5 \
  "lacks INSERT on public.chat_messages.*Bootstrap changed nothing" -- "$bin" bootstrap
same "rerun without the privilege: nothing changed" \
  "$(sql -c "SELECT count(*) FILTER (WHERE done_at IS NOT NULL) || '/' || count(*) || ' ' ||
                    (SELECT snapshots FROM dualwrite.bootstrap WHERE slot = '$db')
               FROM dualwrite.bootstrap_chunks WHERE slot = '$db'")" "$done_before"
check "check: the missing privilege, and the unfinished bootstrap" 5 \
  "^FAIL target privileges: role dualwrite lacks INSERT on public.chat_messages" \
  "^warn bootstrap: unfinished: [0-9]+ of [0-9]+ chunks done" -- "$bin" check
sql -c "GRANT INSERT ON public.chat_messages TO dualwrite"
check "granted again: the same command resumes and finishes" 0 \
  "^resuming the bootstrap of slot $db" "^bootstrap finished: " -- "$bin" bootstrap

start_daemon
wait_caught_up
check_equal
echo "ok   the daemon streamed from the consistent point: the new tables equal the mapping"

[ "$failures" = 0 ] || exit 1
echo "ok: bootstrap without a privilege"
