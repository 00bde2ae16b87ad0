#!/usr/bin/env bash
# systemd/dualwrite.service: `systemd-analyze verify` passes and the offline security exposure is
# at most the limit. verify needs ExecStart's binary to exist, so it runs on a copy whose
# ExecStart points at the built binary.
#   systemd_unit_test.sh UNIT BINARY [MAX_EXPOSURE]
set -euo pipefail
unit=$1 binary=$2 max=${3:-2.0}
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing (apt-get install systemd)"; exit 1; }
[ -x "$binary" ] || { echo "binary $binary not built"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy=$work/dualwrite.service
sed "s|^ExecStart=/usr/bin/dualwrite |ExecStart=$binary |" "$unit" >"$copy"
grep -q "^ExecStart=$binary " "$copy" || { echo "ExecStart=/usr/bin/dualwrite … not found in $unit"; exit 1; }

# verify prints problems (unknown keys, bad values) and exits 0 on some of them: any output fails.
if ! out=$(systemd-analyze verify "$copy" 2>&1) || [ -n "$out" ]; then
  echo "systemd-analyze verify $unit:"
  echo "$out"
  exit 1
fi
echo "verify: ok"

out=$(systemd-analyze security --offline=yes --no-pager "$copy" 2>&1) || true
if grep -q "Invalid syntax\|Unknown key\|Failed to parse" <<<"$out"; then
  echo "$out" | grep "Invalid syntax\|Unknown key\|Failed to parse"
  exit 1
fi
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
[ -n "$score" ] || { echo "no exposure level in the output:"; echo "$out" | tail -5; exit 1; }
echo "security exposure: $score (limit $max)"
awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' || {
  echo "$out" | grep '✗'
  echo "exposure $score is above $max"
  exit 1
}

# The settings the product relies on.
for line in 'Type=notify' 'NotifyAccess=main' 'WatchdogSec=30s' 'Restart=on-failure' \
            'RestartPreventExitStatus=2 6' 'ExecReload=/bin/kill -HUP $MAINPID' \
            'LoadCredential=source-password:/etc/dualwrite/source-password' \
            'ExecStart=/usr/bin/dualwrite run --config /etc/dualwrite/dualwrite.toml'; do
  grep -qxF "$line" "$unit" || { echo "missing: $line"; exit 1; }
done
echo "ok"
