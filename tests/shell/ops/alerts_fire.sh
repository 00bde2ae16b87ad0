#!/usr/bin/env bash
# Issue 13 part 3: the shipped alerts seen firing in a real Prometheus (Debian's `prometheus`)
# that scrapes a running `dualwrite run`, and every query of the Grafana dashboard answered.
#   - the rules: a test copy of dashboards/alerts.yml in which only the `for:` durations differ
#     (divided by 60, checked with diff below); the short scrape and evaluation intervals come
#     from this test's own prometheus.yml;
#   - a dead letter -> DualwriteDeadLettersGrowing fires;
#   - a target table held (locked) under writes -> DualwriteLagHigh fires (its expression needs
#     60 s of lag: the lock is held that long);
#   - every panel and template variable query of dashboards/dualwrite.json returns a series,
#     except dualwrite_slot_safe_wal_size_bytes when the server has max_slot_wal_keep_size -1
#     (the panel says so);
#   - the daemon stopped under writes -> DualwriteDown fires.
#   alerts_fire.sh BUILD_DIR DASHBOARDS_DIR
set -euo pipefail
dash=${2:?usage: $0 BUILD_DIR DASHBOARDS_DIR}
ops_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v prometheus >/dev/null || { echo "prometheus missing (apt-get install prometheus)"; exit 1; }
source "$ops_dir/../outage/lib.sh" "$1" prom
prom() { python3 "$ops_dir/prom.py" "$@"; }
t0=$(date +%s)
step() { echo "[$(($(date +%s) - t0)) s] $*"; }
# A failure shows what Prometheus saw as well as the daemon's log.
prom_fail() { echo "--- active alerts"; prom alerts "$url" || true; fail "$@"; }

# 1. The rule copy: only `for:` lines differ from the shipped file, and it still loads.
prom shorten-for "$dash/alerts.yml" "$work/alerts.yml" >"$work/shorten.log"
changed=$(diff --unchanged-line-format= --old-line-format='%L' --new-line-format='%L' \
  "$dash/alerts.yml" <(tail -n +3 "$work/alerts.yml") || true)
outside=$(grep -v '^[[:space:]]*for:' <<<"$changed" || true)
[ -z "$outside" ] || fail "the rule copy differs from the shipped file outside for: lines: $outside"
[ "$(grep -c '^[[:space:]]*for:' <<<"$changed")" = $((2 * $(grep -c '^[[:space:]]*for:' "$dash/alerts.yml"))) ] \
  || fail "not every for: line was shortened: $changed"
promtool check rules "$work/alerts.yml" >/dev/null || fail "the rule copy does not load: $(promtool check rules "$work/alerts.yml" 2>&1)"

# 2. Prometheus on a free port, scraping the daemon's metrics endpoint every second.
prom_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$prom_port
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [$work/alerts.yml]
scrape_configs:
  - job_name: dualwrite
    static_configs:
      - targets: ['127.0.0.1:$metrics_port']
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
fakes+=($!)
for _ in $(seq 1 100); do curl -sf "$url/-/ready" >/dev/null && break; sleep 0.1; done
curl -sf "$url/-/ready" >/dev/null || { tail -20 "$work/prometheus.log"; fail "prometheus did not start"; }

# 3. The daemon, after a first `dualwrite verify` (the verify panel has data once one ran), and
# a writer of rows that apply cleanly: the feedback of a linked user.
"$bin" verify --wait 0 >"$work/verify.log" 2>&1 || fail "verify exited $?: $(tail -3 "$work/verify.log")"
run_daemon
wait_streaming "$conn" "$db" || fail "the daemon did not start streaming"
linked=$(sql -c "INSERT INTO auth.users (id) VALUES (gen_random_uuid()) RETURNING id")
sql -c "INSERT INTO public.account_linkages (user_id, account_id) VALUES ('$linked', '$linked')" >/dev/null
(for _ in $(seq 1 1500); do
   sql -c "INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type)
           VALUES ('$linked', 'surf', 'view')" >/dev/null 2>&1
   sleep 0.2
 done) &
writer_pid=$!
applied() { sql -c "SELECT count(*) FROM public.activity_interactions WHERE account_id = '$linked'"; }
for _ in $(seq 1 50); do gt "$(applied)" 2 && break; sleep 0.2; done
gt "$(applied)" 2 || fail "the writer's rows are not applied"
# Before the daemon ran, `up` was 0: DualwriteDown resolves once the daemon is scraped.
for _ in $(seq 1 50); do prom not-active "$url" DualwriteDown >/dev/null && break; sleep 0.2; done
prom not-active "$url" DualwriteDown || prom_fail "DualwriteDown active while the daemon is scraped"
step "daemon streaming, scraped, rows applying"

# 4. A dead letter: a row of a user without an account link.
prom not-active "$url" DualwriteDeadLettersGrowing || prom_fail "dead-letter alert active before any dead letter"
write_row >/dev/null
prom wait-alert "$url" DualwriteDeadLettersGrowing firing 30 table=activity_feedback reason=unlinked_user \
  || prom_fail "no DualwriteDeadLettersGrowing firing after a dead letter"
step "dead letter -> DualwriteDeadLettersGrowing firing"

# 5. The target held: the table the writer's rows go to and the dead letters (where a change that
# keeps failing would go) locked for as long as the lag alert needs, under writes. EXCLUSIVE, not
# ACCESS EXCLUSIVE: it blocks every write all the same, and an ACCESS EXCLUSIVE lock gives its
# transaction an xid (it is WAL-logged for standbys), which would hold up every logical slot
# being created on this shared test server (a slot's consistent point waits for running xids):
# the outage tests' daemons then failed to start streaming while this test ran.
prom not-active "$url" DualwriteLagHigh || prom_fail "DualwriteLagHigh active before the lock"
psql -X -q "$conn" -c "SET application_name = 'dw_test_lock'" \
  -c "BEGIN; LOCK TABLE public.activity_interactions, dualwrite.dead_letters IN EXCLUSIVE MODE; SELECT pg_sleep(150); COMMIT" \
  >/dev/null 2>&1 &
lock_pid=$!
unlock() {
  sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dw_test_lock'" >/dev/null
  wait "$lock_pid" 2>/dev/null || true
}
step "target tables locked"
# Meanwhile (the daemon is up, every series it exports is there): the dashboard's queries.
if [ "$(sql -c "SHOW max_slot_wal_keep_size")" = -1 ]; then
  absent=(dualwrite_slot_safe_wal_size_bytes)
else
  absent=()
fi
prom dashboard "$url" "$dash/dualwrite.json" "${absent[@]}" || { unlock; prom_fail "dashboard queries without a series"; }
step "dashboard queries answered"
prom wait-alert "$url" DualwriteLagHigh firing 100 || { unlock; prom_fail "no DualwriteLagHigh firing while the target was held"; }
step "target held -> DualwriteLagHigh firing"
unlock
before=$(applied)
for _ in $(seq 1 100); do gt "$(applied)" "$before" && break; sleep 0.2; done
gt "$(applied)" "$before" || fail "nothing applied after the lock was released"
step "lock released, applying again"

# 6. The daemon stopped under writes.
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "the daemon did not exit 0 on SIGTERM"
daemon_pid=""
prom wait-alert "$url" DualwriteDown firing 30 || prom_fail "no DualwriteDown firing after the daemon stopped"
step "daemon stopped -> DualwriteDown firing"
stop_writer
echo "ok: dead-letter, lag and down alerts fired in Prometheus; every dashboard query has a series"
