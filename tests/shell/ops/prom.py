#!/usr/bin/env python3
"""Helpers of alerts_fire.sh: a test copy of the alert rules with shorter `for:`, and a real
Prometheus server's HTTP API read the way an operator's tools read it. Standard library only.

  prom.py shorten-for SRC DST
      Writes DST: a header comment saying it is a test copy, then SRC with every `for:`
      duration divided by 60 (2m -> 2s, 5m -> 5s); nothing else changes (the caller checks
      that with diff, independently of this code). One line per rule on stdout.
  prom.py wait-alert URL NAME STATE TIMEOUT [LABEL=VALUE ...]
      Polls URL/api/v1/alerts until an alert NAME with those labels is in STATE ("pending"
      accepts pending or firing, "firing" only firing) and prints it; exits 1 on timeout,
      printing the alerts it saw last.
  prom.py not-active URL NAME [LABEL=VALUE ...]
      Exits 1 (printing it) if an alert NAME with those labels is pending or firing now.
  prom.py alerts URL
      Prints every pending or firing alert, one a line.
  prom.py dashboard URL DASHBOARD_JSON [METRIC ...]
      Runs the expression of every panel target of the dashboard as an instant query (with
      $instance as .* and $__rate_interval as 1m, as Grafana would for "All") and the query of
      every template variable, and fails for any that returns no series. The exception: an
      expression over a METRIC of ABSENT_IN_SOME_CONFIGURATIONS named on the command line (the
      caller has checked that the configuration it depends on is off on this server), and
      only when its panel's description names that configuration.
"""
import json
import re
import sys
import time
import urllib.parse
import urllib.request

# Series that exist only in some configurations of the source, and the setting the panel's
# description must name so that an operator who sees "No data" knows why.
ABSENT_IN_SOME_CONFIGURATIONS = {
    # pg_replication_slots.safe_wal_size is NULL when max_slot_wal_keep_size is -1 (the
    # default) and for a lost slot. The daemon does not invent a value: +Inf would lie for a
    # lost slot and flatten the panel's axis.
    "dualwrite_slot_safe_wal_size_bytes": "max_slot_wal_keep_size",
}

HEADER = ("# TEST COPY of dashboards/alerts.yml written by tests/shell/ops/prom.py shorten-for:\n"
          "# only the `for:` durations differ (divided by 60); expressions, labels, annotations are the shipped ones.\n")


def get(url, path, **params):
    q = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{url}{path}?{q}" if q else f"{url}{path}", timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{path}: {body}")
    return body["data"]


def describe(alert):
    labels = dict(alert["labels"])
    name = labels.pop("alertname")
    rest = ",".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "job")
    return f"{name}{{{rest}}} {alert['state']} since {alert.get('activeAt', '?')} value {alert.get('value')}"


def active(url):
    try:
        return get(url, "/api/v1/alerts")["alerts"]
    except (OSError, RuntimeError) as e:
        print(f"(alerts API: {e})", file=sys.stderr)
        return []


def matching(alerts, name, labels):
    want = dict(a.split("=", 1) for a in labels)
    return [a for a in alerts if a["labels"].get("alertname") == name
            and all(a["labels"].get(k) == v for k, v in want.items())]


def wait_alert(url, name, state, timeout, *labels):
    states = {"pending": ("pending", "firing"), "firing": ("firing",)}[state]
    end = time.time() + float(timeout)
    seen = []
    while time.time() < end:
        seen = active(url)
        for a in matching(seen, name, labels):
            if a["state"] in states:
                print(describe(a))
                return 0
        time.sleep(0.5)
    print(f"no {name} {' '.join(labels)} {state} within {timeout} s; active alerts:")
    for a in seen:
        print("  " + describe(a))
    return 1


def not_active(url, name, *labels):
    bad = matching(active(url), name, labels)
    for a in bad:
        print(f"already active: {describe(a)}")
    return 1 if bad else 0


def print_alerts(url):
    for a in active(url):
        print(describe(a))
    return 0


# Prometheus durations as alerts.yml uses them: 1h30m, 2m, 90s, 500ms.
DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$")
FOR_LINE = re.compile(r"^(\s*for:\s*)(\S+)(\s*)$")


def millis(text):
    m = DURATION.match(text)
    if not text or not m:
        raise ValueError(f"unsupported duration {text!r}")
    h, mi, s, ms = (int(x or 0) for x in m.groups())
    return ((h * 60 + mi) * 60 + s) * 1000 + ms


def shorten_for(src, dst):
    out, changed = [HEADER], 0
    for line in open(src).read().splitlines(keepends=True):
        m = FOR_LINE.match(line.rstrip("\n"))
        if m:
            ms = max(1000, millis(m.group(2)) // 60)
            new = f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"
            print(f"for: {m.group(2)} -> {new}")
            line = f"{m.group(1)}{new}{m.group(3)}\n"
            changed += 1
        out.append(line)
    if not changed:
        print(f"{src}: no for: line found")
        return 1
    open(dst, "w").write("".join(out))
    return 0


def dashboard_queries(path):
    """(where, expr, description) of every panel target and template variable query."""
    dash = json.load(open(path))
    found = []

    def walk(panels):
        for p in panels:
            if p.get("type") == "row":
                walk(p.get("panels", []))
                continue
            for t in p.get("targets", []):
                found.append((f"panel {p.get('title')!r}", t["expr"], p.get("description", "")))

    walk(dash["panels"])
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        # label_values(METRIC, LABEL): the series of METRIC that carry LABEL.
        m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", q)
        if not m:
            found.append((f"variable {v['name']!r}", f"unsupported query {q}", ""))
            continue
        found.append((f"variable {v['name']!r}", f"{m.group(1)}{{{m.group(2)}!=\"\"}}", ""))
    return found


def grafana(expr):
    return expr.replace("$__rate_interval", "1m").replace("$instance", ".*")


def dashboard(url, path, *absent_here):
    unknown = set(absent_here) - set(ABSENT_IN_SOME_CONFIGURATIONS)
    if unknown:
        print(f"not a series that exists only in some configurations: {sorted(unknown)}")
        return 1
    failures, checked = [], 0
    for where, expr, description in dashboard_queries(path):
        checked += 1
        try:
            result = get(url, "/api/v1/query", query=grafana(expr))["result"]
        except (OSError, RuntimeError) as e:
            failures.append(f"{where}: {expr}: {e}")
            continue
        if result:
            continue
        excused = [m for m in absent_here if m in expr]
        if excused and all(ABSENT_IN_SOME_CONFIGURATIONS[m] in description for m in excused):
            why = ", ".join(ABSENT_IN_SOME_CONFIGURATIONS[m] for m in excused)
            print(f"{where}: {expr}: no series, as its description says ({why} is off here)")
            continue
        failures.append(f"{where}: {expr}: no series (Grafana would show No data)")
    for f in failures:
        print(f)
    print(f"{checked} dashboard queries run, {len(failures)} without a series")
    return 1 if failures else 0


if __name__ == "__main__":
    commands = {"shorten-for": shorten_for, "wait-alert": wait_alert, "not-active": not_active,
                "alerts": print_alerts, "dashboard": dashboard}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: prom.py {'|'.join(commands)} ...")
    sys.exit(commands[sys.argv[1]](*sys.argv[2:]))
