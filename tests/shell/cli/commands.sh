#!/usr/bin/env bash
# The command line as a user meets it: bad arguments and configuration get one line and a
# non-zero exit code (2), never a stack dump (a password anywhere in a conninfo of the file, a
# misspelt DUALWRITE_ variable warned about, the daemon's configuration errors in its configured
# log format); `dead-letters list/show/retry/resolve` work on a real database (a fresh one
# cloned from the test server's template), and a truncate letter's retry says what to do.
#
#   tests/shell/cli/commands.sh BUILD_DIR      (needs DUALWRITE_TEST_CONNINFO, as scripts/test sets)
set -euo pipefail
bin=${1:?usage: commands.sh BUILD_DIR}/dualwrite
: "${DUALWRITE_TEST_CONNINFO:?run through scripts/test (DUALWRITE_TEST_CONNINFO is not set)}"
failures=0
passed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
check() {  # check NAME EXPECTED_STATUS EXPECTED_STDERR_REGEX -- COMMAND...
  local name=$1 want=$2 pattern=$3; shift 4
  local err status=0
  err=$("$@" 2>&1 >/dev/null) || status=$?
  if [ "$status" != "$want" ] || ! grep -Eq -- "$pattern" <<<"$err" || [ "$(wc -l <<<"$err")" -gt 3 ]; then
    echo "FAIL $name: status $status (want $want), stderr: $err"
    failures=$((failures + 1))
  else
    ok "$name"
  fi
}

tmp=$(mktemp -d)
db=cli_$$_$RANDOM
admin="$DUALWRITE_TEST_CONNINFO"
conn=$(sed "s/dbname=[^ ]*/dbname=$db/" <<<"$DUALWRITE_TEST_CONNINFO")
cleanup() { psql -X -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE $db TEMPLATE dualwrite_template" >/dev/null

check "unknown command" 2 "^dualwrite: unknown command 'frobnicate'; the commands are check, bootstrap, run, .*decode" -- "$bin" frobnicate
check "missing config file" 2 "cannot read config file /nonexistent.toml" -- "$bin" run --config /nonexistent.toml
printf '[source]\nslot = "Bad Slot"\n[apply]\nbatch_max_changes = 0\n' >"$tmp/bad.toml"
check "bad config values" 2 "\[source\] slot must be" -- "$bin" run --config "$tmp/bad.toml"
printf '[source]\nconninfo = "host=x password=secret"\n' >"$tmp/pw.toml"
check "password in the file" 2 "contains a password" -- "$bin" run --config "$tmp/pw.toml"
printf '[source]\nconninfo = "postgresql://u@x/db?sslmode=disable&password=secret"\n' >"$tmp/uri.toml"
check "password in a URI's query" 2 "^dualwrite: config: $tmp/uri.toml: \[source\] conninfo contains a password; keep it out of the config file" \
  -- "$bin" run --config "$tmp/uri.toml"
grep -q secret <(env DUALWRITE_SOURCE_CONNINFO= "$bin" run --config "$tmp/uri.toml" 2>&1) \
  && { echo "FAIL the password is echoed"; failures=$((failures + 1)); } || ok "the password is not echoed"

# A misspelt environment variable: one warning line naming the key meant; the command runs.
check "a misspelt DUALWRITE_ variable is named, with the key meant" 2 \
  "^dualwrite: config: warning: environment variable DUALWRITE_SOURCE_SLOTT is not a configuration key and is ignored: did you mean DUALWRITE_SOURCE_SLOT\? \(keys of \[source\]: DUALWRITE_SOURCE_CONNINFO, " \
  -- env DUALWRITE_SOURCE_SLOTT=bridge "$bin" run --config "$tmp/bad.toml"

# With [log] format = "json", the daemon's configuration errors are JSON log lines too; when not
# even the format can be read (a syntax error), they stay plain.
printf '[log]\nformat = "json"\n[apply]\nbatch_max_changes = 0\n' >"$tmp/json.toml"
status=0; "$bin" run --config "$tmp/json.toml" 2>"$tmp/json.err" >/dev/null || status=$?
python3 - "$tmp/json.err" <<'PY' && [ "$status" = 2 ] && ok "config errors in the configured JSON format" \
  || { echo "FAIL config errors as JSON (exit $status): $(cat "$tmp/json.err")"; failures=$((failures + 1)); }
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert lines and all(l["level"] == "critical" for l in lines), lines
assert any("[apply] batch_max_changes must be between 1 and" in l["msg"] for l in lines), lines
PY
printf '[log\nformat = "json"\n' >"$tmp/syntax.toml"
check "a syntax error: plain, the format unknown" 2 "^dualwrite: config: $tmp/syntax.toml:1:" \
  -- "$bin" run --config "$tmp/syntax.toml"
status=0; env DUALWRITE_LOG_FORMAT=json "$bin" run --config "$tmp/syntax.toml" 2>"$tmp/env.err" >/dev/null || status=$?
python3 -c 'import json, sys; l = json.loads(open(sys.argv[1]).readline()); assert "syntax.toml:1:" in l["msg"]' "$tmp/env.err" \
  && [ "$status" = 2 ] && ok "a syntax error, the format from the environment: JSON" \
  || { echo "FAIL syntax error with DUALWRITE_LOG_FORMAT=json: $(cat "$tmp/env.err")"; failures=$((failures + 1)); }
check "bad reason" 2 "--reason must be one of" -- env DUALWRITE_SOURCE_CONNINFO="$conn" "$bin" dead-letters list --reason nope
check "unreachable target" 5 "target: cannot connect" -- env DUALWRITE_SOURCE_CONNINFO="host=/nonexistent dbname=x" "$bin" dead-letters list
check "a letter id that is not a number" 2 "a dead letter id is a positive whole number.*got 'abc'" \
  -- env DUALWRITE_SOURCE_CONNINFO="$conn" "$bin" dead-letters retry abc
check "letter id 0" 2 "got '0'" -- env DUALWRITE_SOURCE_CONNINFO="$conn" "$bin" dead-letters show 0
check "--limit 0" 2 "--limit: Value 0 not in range 1 to 1000000" -- "$bin" dead-letters list --limit 0
check "--config before the command" 2 "cannot read config file /nonexistent.toml" -- "$bin" --config /nonexistent.toml status
check "--config= before dead-letters" 2 "cannot read config file /nonexistent.toml" \
  -- "$bin" --config=/nonexistent.toml dead-letters list
check "show a missing letter" 2 "no dead letter 999" -- env DUALWRITE_SOURCE_CONNINFO="$conn" "$bin" dead-letters show 999

# Dead letters: an unlinked user's feedback, retried before and after the user is linked.
psql -X -q -v ON_ERROR_STOP=1 "$conn" <<'SQL'
INSERT INTO auth.users (id) VALUES ('a0000000-0000-4000-8000-00000000000c');
INSERT INTO dualwrite.dead_letters (source_table, operation, new_row, lsn, xid, commit_time, reason, detail)
VALUES ('activity_feedback', 'insert',
        '{"id": 7, "user_id": "a0000000-0000-4000-8000-00000000000c", "account_id": null, "activity_slug": "surf", "feedback_type": "like", "suggestion_id": null, "score": null, "metadata": {}, "created_at": "2026-01-01 00:00:00+00"}',
        '0/1000', 5, now(), 'unlinked_user', 'no account'),
       ('offline_likes', 'truncate', NULL, '0/1000', 5, now(), 'truncate', 'TRUNCATE of offline_likes is never mirrored');
SQL
export DUALWRITE_SOURCE_CONNINFO=$conn
out=$("$bin" dead-letters list)
grep -q "unlinked_user" <<<"$out" && grep -q "(2 shown; 2 unresolved in all)" <<<"$out" \
  && ok "list" || { echo "FAIL list: $out"; failures=$((failures + 1)); }
"$bin" dead-letters show 1 | grep -q '"feedback_type": "like"' && ok "show" \
  || { echo "FAIL show"; failures=$((failures + 1)); }
status=0; "$bin" dead-letters retry 1 >"$tmp/retry1" || status=$?
[ "$status" = 1 ] && grep -q "1 still failing" "$tmp/retry1" && ok "retry while still unlinked" \
  || { echo "FAIL retry unlinked: $status $(cat "$tmp/retry1")"; failures=$((failures + 1)); }
psql -X -q "$conn" -c "INSERT INTO public.accounts (id) VALUES ('b0000000-0000-4000-8000-00000000000c');
  INSERT INTO public.account_user_links (account_id, supabase_user_id, is_primary) VALUES ('b0000000-0000-4000-8000-00000000000c', 'a0000000-0000-4000-8000-00000000000c', true)"
"$bin" dead-letters retry --reason unlinked_user | grep -q "1 resolved, 0 still failing" && ok "retry after the fix" \
  || { echo "FAIL retry after the fix"; failures=$((failures + 1)); }
[ "$(psql -X -qtA "$conn" -c "SELECT count(*) FROM activity_interactions WHERE account_id = 'b0000000-0000-4000-8000-00000000000c'")" = 1 ] \
  && ok "retried letter applied" || { echo "FAIL retried letter not applied"; failures=$((failures + 1)); }
[ "$(psql -X -qtA "$conn" -c "SELECT attempts || ' ' || (resolved_at IS NOT NULL) FROM dualwrite.dead_letters WHERE id = 1")" = "2 true" ] \
  && ok "resolved, not deleted, attempts counted" || { echo "FAIL letter bookkeeping"; failures=$((failures + 1)); }
# A truncate letter is never mirrored, so retrying cannot apply it: retry says what to do instead
# (the runbook's section, and resolve), changes nothing, and resolve takes it.
check "retry of a truncate letter says what to do instead" 2 \
  "^dualwrite: dead letter 2 records a TRUNCATE of public.offline_likes, which the bridge never mirrors: retrying cannot apply it\..*dualwrite verify.*then .dualwrite dead-letters resolve 2. \(docs/cutover.md, Failure modes: a truncate dead letter\)$" \
  -- "$bin" dead-letters retry 2
check "retry --reason truncate likewise" 2 \
  "^dualwrite: truncate letters are never retried .*resolve each: 2$" -- "$bin" dead-letters retry --reason truncate
[ "$(psql -X -qtA "$conn" -c "SELECT attempts || ' ' || (resolved_at IS NULL) FROM dualwrite.dead_letters WHERE id = 2")" = "0 true" ] \
  && ok "the truncate letter untouched by retry" || { echo "FAIL truncate letter changed by retry"; failures=$((failures + 1)); }
"$bin" dead-letters resolve 2 | grep -q "2 resolved (not applied)" && ok "resolve (the truncate letter)" \
  || { echo "FAIL resolve"; failures=$((failures + 1)); }
check "resolve twice" 2 "already resolved" -- "$bin" dead-letters resolve 2
"$bin" dead-letters list --all --json | python3 -c 'import json,sys; rows=[json.loads(l) for l in sys.stdin]; assert len(rows) == 2 and all(r["resolved"] for r in rows)' \
  && ok "list --all --json" || { echo "FAIL list --json"; failures=$((failures + 1)); }

# A leading --config is read: this one names the test database, the environment does not.
printf '[source]\nconninfo = "%s"\n' "$conn" >"$tmp/good.toml"
env -u DUALWRITE_SOURCE_CONNINFO "$bin" --config "$tmp/good.toml" dead-letters list --all | grep -q "(2 shown; 0 unresolved in all)" \
  && ok "--config before dead-letters list" || { echo "FAIL --config before the command"; failures=$((failures + 1)); }

echo "$passed passed, $failures failed"
[ "$failures" = 0 ]
