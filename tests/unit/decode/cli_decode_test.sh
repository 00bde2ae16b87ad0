#!/usr/bin/env bash
# `dualwrite decode` end to end: a real fixture decodes to one JSON object per line with the
# expected values; a bad line exits 1 naming the line and offset; a missing file exits 2.
#   cli_decode_test.sh DUALWRITE_BINARY FIXTURE_DIR
set -euo pipefail
bin=$1 fixtures=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$bin" decode "$fixtures/streamed.proto2.hex" >"$tmp/out.jsonl"
[ "$(wc -l <"$tmp/out.jsonl")" -eq 1235 ] || fail "expected 1235 JSON lines, got $(wc -l <"$tmp/out.jsonl")"
python3 - "$tmp/out.jsonl" <<'PY' || fail "streamed output does not check out"
import json, sys, collections
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
tags = collections.Counter(r["tag"] for r in rows)
assert tags["stream_start"] == 6 and tags["stream_stop"] == 6, tags
assert tags["stream_commit"] == 2 and tags["stream_abort"] == 2, tags
first = rows[0]
assert first == {"tag": "stream_start", "xid": first["xid"], "first_segment": True}, first
inserts = [r for r in rows if r["tag"] == "insert" and r.get("xid") == first["xid"]]
assert len(inserts) == 600, len(inserts)
assert all(r["relation_name"] == "activity_feedback" for r in inserts)
assert inserts[0]["new_tuple"]["id"] == "1001", inserts[0]
commit = next(r for r in rows if r["tag"] == "stream_commit")
assert commit["xid"] == first["xid"] and "/" in commit["commit_lsn"], commit
assert commit["commit_time"].endswith("Z"), commit
PY

# Standard input, with "\x" stripped, a blank line and CRLF endings.
{ sed -n '1,3p' "$fixtures/dml.proto1.hex" | sed 's/^\\x//'; echo; echo; } | sed 's/$/\r/' \
  | "$bin" decode - >"$tmp/stdin.jsonl"
[ "$(wc -l <"$tmp/stdin.jsonl")" -eq 3 ] || fail "stdin: expected 3 lines"
grep -q '"relation_name":"account_linkages","new_tuple":{"id":"10000000-0000-0000-0000-000000000001"' \
  "$tmp/stdin.jsonl" || fail "stdin: insert into account_linkages not rendered"

# A truncated message on line 3: exit 1, one line on stderr with the line number and offset.
{ sed -n '1,2p' "$fixtures/dml.proto1.hex"; echo '\x43000000'; sed -n '4p' "$fixtures/dml.proto1.hex"; } \
  >"$tmp/bad.hex"
set +e
"$bin" decode "$tmp/bad.hex" >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "bad line: exit $rc, expected 1"
[ "$(wc -l <"$tmp/bad.out")" -eq 2 ] || fail "bad line: the two good lines should be printed"
[ "$(wc -l <"$tmp/bad.err")" -eq 1 ] || fail "bad line: expected one stderr line"
grep -qF "bad.hex:3: commit message: truncated at offset 2 reading commit_lsn" "$tmp/bad.err" \
  || fail "bad line: unexpected error: $(cat "$tmp/bad.err")"

# Invalid hex: exit 1 naming the character.
set +e
echo '\x42zz' | "$bin" decode - >/dev/null 2>"$tmp/hex.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "invalid hex: exit $rc, expected 1"
grep -qF "<stdin>:1: invalid hex digit 'z' at character 5" "$tmp/hex.err" || fail "invalid hex: $(cat "$tmp/hex.err")"

# A missing file: exit 2, one clear line.
set +e
"$bin" decode "$tmp/missing.hex" >/dev/null 2>"$tmp/missing.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "missing file: exit $rc, expected 2"
grep -qF "cannot open $tmp/missing.hex: No such file or directory" "$tmp/missing.err" \
  || fail "missing file: $(cat "$tmp/missing.err")"
echo "cli_decode: ok"
