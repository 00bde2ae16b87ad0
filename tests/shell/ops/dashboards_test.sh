#!/usr/bin/env bash
# dashboards/: the alert rules load and their unit tests pass (promtool), the Grafana dashboard
# is valid JSON with a datasource variable and a unit and description on every panel, the
# exposition passes `promtool check metrics`, and every metric name the dashboard and the rules
# use is one the Metrics registry really exports.
#   dashboards_test.sh DASHBOARDS_DIR DUMP_METRICS_BINARY
set -euo pipefail
dir=$1 dump=$2
command -v promtool >/dev/null || { echo "promtool missing (apt-get install prometheus)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

promtool check rules "$dir/alerts.yml"
(cd "$dir" && promtool test rules alerts_test.yml)

python3 -m json.tool "$dir/dualwrite.json" >/dev/null || { echo "dualwrite.json is not valid JSON"; exit 1; }

"$dump" >"$work/exposition.txt"
lint=$(promtool check metrics <"$work/exposition.txt" 2>&1) || true
if [ -n "$lint" ]; then
  echo "promtool check metrics:"
  echo "$lint"
  exit 1
fi
echo "promtool check metrics: clean"

python3 - "$dir" "$work/exposition.txt" <<'PY'
import json, re, sys
d, expo = sys.argv[1], sys.argv[2]
exported = set()
for line in open(expo):
    m = re.match(r"# TYPE (\S+) (\S+)", line)
    if m:
        name, kind = m.groups()
        exported.add(name)
        if kind == "histogram":
            exported |= {name + "_bucket", name + "_sum", name + "_count"}
# Series Prometheus itself adds to every target.
exported |= {"up"}

failures = []
dash = json.load(open(f"{d}/dualwrite.json"))
names = {v["name"] for v in dash.get("templating", {}).get("list", [])}
if "DS_PROMETHEUS" not in names:
    failures.append("dashboard: no DS_PROMETHEUS datasource variable")
exprs = []
def walk(panels):
    for p in panels:
        if p.get("type") == "row":
            walk(p.get("panels", []))
            continue
        if not p.get("description"):
            failures.append(f"dashboard panel {p.get('title')!r}: no description")
        if not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            failures.append(f"dashboard panel {p.get('title')!r}: no unit")
        if p.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
            failures.append(f"dashboard panel {p.get('title')!r}: datasource is not ${{DS_PROMETHEUS}}")
        for t in p.get("targets", []):
            exprs.append(("dashboard " + p.get("title", "?"), t["expr"]))
walk(dash["panels"])
for a in dash.get("annotations", {}).get("list", []):
    if "expr" in a:
        exprs.append(("dashboard annotation", a["expr"]))
for line in open(f"{d}/alerts.yml"):
    m = re.match(r"\s*expr:\s*(.*)", line)
    if m:
        exprs.append(("alerts.yml", m.group(1)))
if not exprs:
    failures.append("no expressions found")
used = set()
for where, e in exprs:
    # Metric names: identifiers not followed by '(' (functions) and not label names or
    # keywords; ours all start with dualwrite_ or process_, plus Prometheus' own up.
    for name in re.findall(r"\b((?:dualwrite|process)_[a-zA-Z0-9_]+|up)\b(?!\s*\()", e):
        used.add(name)
        if name not in exported:
            failures.append(f"{where}: {name} is not exported by /metrics")
print(f"{len(used)} metric names used by the dashboard and the rules, all exported" if not failures else "")
for f in failures:
    print(f)
sys.exit(1 if failures else 0)
PY
echo "ok"
