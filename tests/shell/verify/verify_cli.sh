#!/usr/bin/env bash
# `dualwrite verify` as a user meets it, on a real database (a fresh one cloned from the test
# server's template, with the synthetic legacy corpus and the new tables backfilled from the
# expected views): exit 0 and a closing "clean" line when the tables agree; exit 8 and the
# mismatching key when a row was changed behind the bridge's back (text and --json); one line
# and exit 2 for a bad --tables name, --wait or --max-mismatches; 4 / 5 when the source /
# target cannot be reached.
#
#   tests/shell/verify/verify_cli.sh BUILD_DIR   (needs DUALWRITE_TEST_CONNINFO, as scripts/test sets)
set -euo pipefail
bin=${1:?usage: verify_cli.sh BUILD_DIR}/dualwrite
: "${DUALWRITE_TEST_CONNINFO:?run through scripts/test (DUALWRITE_TEST_CONNINFO is not set)}"
root=$(cd "$(dirname "$0")/../../.." && pwd)
failures=0
passed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
check() {  # check NAME EXPECTED_STATUS EXPECTED_STDERR_REGEX -- COMMAND...
  local name=$1 want=$2 pattern=$3; shift 4
  local err status=0
  err=$("$@" 2>&1 >/dev/null) || status=$?
  if [ "$status" != "$want" ] || ! grep -Eq -- "$pattern" <<<"$err" || [ "$(wc -l <<<"$err")" -gt 1 ]; then
    fail "$name: status $status (want $want), stderr: $err"
  else
    ok "$name"
  fi
}

tmp=$(mktemp -d)
db=verify_cli_$$_$RANDOM
admin="$DUALWRITE_TEST_CONNINFO"
conn=$(sed "s/dbname=[^ ]*/dbname=$db/" <<<"$DUALWRITE_TEST_CONNINFO")
cleanup() { psql -X -q "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE $db TEMPLATE dualwrite_template" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -v scale=0.02 -f "$root/sql/fixture/synthetic_data.sql" "$conn" >/dev/null
for t in accounts account_user_links account_profiles account_settings interaction_sources \
         activity_interactions recommendation_runs recommendation_items offline_interactions \
         chat_sessions chat_messages chat_summaries; do
  echo "INSERT INTO public.$t SELECT * FROM dualwrite_expected.$t;"
done | psql -X -q -v ON_ERROR_STOP=1 "$conn"

export DUALWRITE_SOURCE_CONNINFO=$conn DUALWRITE_SOURCE_SLOT=$db DUALWRITE_SOURCE_ORIGIN=$db

status=0; "$bin" verify --wait 0 >"$tmp/clean" 2>"$tmp/clean.err" || status=$?
if [ "$status" = 0 ] && [ "$(wc -l <"$tmp/clean")" = 14 ] && grep -Eq "^chat_messages +[0-9]+ +[0-9]+ +0 " "$tmp/clean" \
   && grep -Eq "^total: 12 tables, [0-9]+ rows compared .*, 0 mismatches: clean$" "$tmp/clean" && [ ! -s "$tmp/clean.err" ]; then
  ok "clean: exit 0, one line per table and a closing line"
else
  fail "clean: status $status: $(cat "$tmp/clean" "$tmp/clean.err")"
fi

key=$(psql -X -qtA "$conn" -c "SELECT id FROM public.activity_interactions WHERE interaction_type = 'view' ORDER BY id LIMIT 1")
psql -X -q "$conn" -c "UPDATE public.activity_interactions SET score_delta = coalesce(score_delta, 0) + 1 WHERE id = '$key'"
status=0; "$bin" verify --wait 0 --tables activity_interactions,chat_messages >"$tmp/drift" 2>&1 || status=$?
if [ "$status" = 8 ] && grep -qx "activity_interactions $key different" "$tmp/drift" \
   && grep -Eq "^total: 2 tables, .*, 1 mismatches: drift$" "$tmp/drift"; then
  ok "drift: exit 8 and the key"
else
  fail "drift: status $status: $(cat "$tmp/drift")"
fi

# No bridge (no slot, no origin) to wait for: reported at once, with a note.
status=0; "$bin" verify --tables activity_interactions >"$tmp/nobridge" 2>&1 || status=$?
[ "$status" = 8 ] && grep -q "^note: activity_interactions: no bridge found" "$tmp/nobridge" \
  && ok "drift without a bridge: a note, no wait" || fail "no bridge: status $status: $(cat "$tmp/nobridge")"

status=0; "$bin" verify --wait 0 --json --max-mismatches 0 >"$tmp/json" 2>&1 || status=$?
if [ "$status" = 8 ] && python3 - "$tmp/json" "$key" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
t = {x["table"]: x for x in doc["tables"]}
assert len(t) == 12 and doc["mismatches"] == 1 and doc["clean"] is False, doc
assert t["activity_interactions"]["mismatches"] == 1 and t["activity_interactions"]["listed"] == []
assert doc["run_id"] is not None and doc["rows"] > 0
PY
then ok "--json: one document"; else fail "--json: status $status: $(head -c 400 "$tmp/json")"; fi

runs=$(psql -X -qtA "$conn" -c "SELECT string_agg(concat_ws(':', clean, mismatches), ' ' ORDER BY id) FROM dualwrite.verify_runs")
[ "$runs" = "t:0 f:1 f:1 f:1" ] && ok "each run recorded in dualwrite.verify_runs" || fail "verify_runs: $runs"

check "unknown table" 2 "^dualwrite: unknown table 'account_linkages' in --tables \(one of: accounts, " -- "$bin" verify --tables chat_messages,account_linkages
check "bad --wait" 2 "^dualwrite: --wait must be a duration" -- "$bin" verify --wait soon
check "bad --max-mismatches" 2 "^dualwrite: --max-mismatches must be 0 or more" -- "$bin" verify --max-mismatches -1
check "unreachable source" 4 "^dualwrite: source: cannot connect" -- env DUALWRITE_SOURCE_CONNINFO="host=/nonexistent dbname=x" "$bin" verify
check "unreachable target" 5 "^dualwrite: target: cannot connect" -- env DUALWRITE_TARGET_CONNINFO="host=/nonexistent dbname=x" "$bin" verify

echo "$passed passed, $failures failed"
[ "$failures" = 0 ]
