#!/usr/bin/env bash
# Bootstrap of a populated database while the application writes (the mixed pgbench workload),
# then `dualwrite run`: once the daemon has caught up, `dualwrite verify` is clean and the new
# tables equal what mapping.md computes from the legacy tables (the apply issue's equality
# SQL) — nothing the snapshot missed is lost, nothing it saw is applied twice; rows written
# before their slug entered the catalog end up with its id, also when the slug came after the
# snapshot (mapping.md, "activities"). Also: a second bootstrap says there is nothing to do, and the backfill's dead
# letters are the stream's (same reasons) and not written twice.
#   tests/shell/bootstrap/bootstrap_load.sh BUILD_DIR [SCALE]
source "$(dirname "$0")/lib.sh"

# The catalog rule across the bootstrap (mapping.md, "activities"): a like of a slug that is not
# in the catalog yet is copied with activity_id NULL; the slug enters the catalog after the
# bootstrap's snapshot, before `run`: the stream must give the copied row its id.
sql -c "INSERT INTO activity_feedback (user_id, activity_slug, feedback_type, score)
        VALUES (md5('user1')::uuid, 'late-after-snapshot', 'view', 1)"
workload 20
sleep 2
"$bin" bootstrap --chunk-rows 5000 --progress-interval 1s >"$work/bootstrap.log" 2>&1 \
  || fail "bootstrap failed"
grep -q "bootstrap finished" "$work/bootstrap.log" || fail "bootstrap did not say it finished"
grep -q "activity_interactions: .* done" "$work/bootstrap.log" || fail "no progress line for activity_interactions"
[ "$(sql -c "SELECT count(*) FROM activity_interactions WHERE activity_slug = 'late-after-snapshot' AND activity_id IS NULL")" = 1 ] \
  || fail "bootstrap did not copy the row of the slug outside the catalog with activity_id NULL"
late_id=$(sql -c "INSERT INTO activities (slug, title) VALUES ('late-after-snapshot', 'Late') RETURNING id")
start_daemon
wait "$bench_pid" || fail "the workload failed"
bench_pid=""
wait_caught_up
check_equal
"$bin" verify --wait 60s >"$work/verify.log" 2>&1 || fail "verify is not clean after bootstrap and run: $(tail -5 "$work/verify.log")"
[ "$(sql -c "SELECT activity_id FROM activity_interactions WHERE activity_slug = 'late-after-snapshot'")" = "$late_id" ] \
  || fail "the slug added after the bootstrap's snapshot did not give the copied row its id"
healed=$(sql -c "SELECT count(*) FROM activity_interactions i JOIN activities a ON a.id = i.activity_id
                  WHERE a.title LIKE 'Late activity %' AND i.created_at < a.created_at")
[ "$healed" -gt 0 ] || fail "the workload's catalog changes healed no earlier row (catalog.sql did not run?)"

again=$("$bin" bootstrap 2>&1) || fail "a second bootstrap failed: $again"
grep -q "already finished" <<<"$again" || fail "a second bootstrap did not say it had finished: $again"
dups=$(sql -c "SELECT count(*) FROM (SELECT 1 FROM dualwrite.dead_letters WHERE xid = 0
               GROUP BY source_table, new_row HAVING count(*) > 1) d")
[ "$dups" = 0 ] || fail "$dups backfill dead letters written twice"
letters=$(sql -c "SELECT count(*) FROM dualwrite.dead_letters WHERE xid = 0")
[ "$letters" -gt 0 ] || fail "the synthetic data's bad rows left no dead letters"
echo "ok: bootstrap under load then run: verify clean, new tables equal the mapping ($letters backfill dead letters)"
