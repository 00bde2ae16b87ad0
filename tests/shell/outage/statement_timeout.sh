#!/usr/bin/env bash
# Issue 12 item 6: a statement timeout must not turn one row into an endless retry loop.
#   1. The database sets statement_timeout = 300ms (as `ALTER ROLE dualwrite SET ...` would)
#      and a 50 MB row arrives: the bridge sets its own session timeouts ([target]
#      statement_timeout, 2min by default), so the row and the changes after it are applied.
#   2. With [target] statement_timeout = 1s, a change whose dead letter cannot be written
#      within it either (a trigger makes the letter's insert take 1.5 s): the failed attempts
#      are counted, the change becomes a dead letter written in a transaction of its own, and
#      the changes after it are applied.
#   tests/shell/outage/statement_timeout.sh BUILD_DIR
export DUALWRITE_RECONNECT_MAX_BACKOFF=2s
source "$(dirname "$0")/lib.sh" "$1" stmt
sql -c "ALTER DATABASE $db SET statement_timeout = '300ms'"

echo "1: a 50 MB row under a database statement_timeout of 300ms"
run_daemon
wait_streaming "$conn" "$db" || fail "the daemon did not start streaming"
sql -c "SET statement_timeout = 0;
        WITH u AS (INSERT INTO auth.users (id) VALUES (gen_random_uuid()) RETURNING id)
        INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type, metadata)
        SELECT id, 'big', 'view', jsonb_build_object('blob', repeat('x', 50 * 1024 * 1024)) FROM u" >/dev/null
write_row after-big >/dev/null
wait_caught_up 90 || fail "the 50 MB row and the change after it were not applied within 90 s ($(letters) of $(legacy_rows))"
kill -TERM "$daemon_pid"; wait "$daemon_pid" || fail "exit status $? after SIGTERM"
daemon_pid=""

echo "2: a change whose letter cannot be written within statement_timeout"
: >"$log"
sql -c "SET statement_timeout = 0;
        CREATE FUNCTION pg_temp_slow() RETURNS trigger LANGUAGE plpgsql AS
          \$\$ BEGIN PERFORM pg_sleep(1.5); RETURN NEW; END \$\$;
        CREATE TRIGGER slow_letter BEFORE INSERT ON dualwrite.dead_letters FOR EACH ROW
          WHEN (NEW.new_row ->> 'activity_slug' = 'slow') EXECUTE FUNCTION pg_temp_slow()" >/dev/null
DUALWRITE_TARGET_STATEMENT_TIMEOUT=1s run_daemon
wait_streaming "$conn" "$db" || fail "the daemon did not start streaming"
write_row slow >/dev/null
write_row after-slow >/dev/null
wait_caught_up 60 || fail "the slow change and the change after it did not both get letters within 60 s ($(letters) of $(legacy_rows))"
[ "$(sql -c "SELECT count(*) FROM dualwrite.dead_letters WHERE new_row ->> 'activity_slug' = 'slow' AND reason = 'apply_error' AND detail LIKE '%transaction of its own%'")" = 1 ] \
  || fail "no apply_error letter written in its own transaction for the slow change: $(sql -c "SELECT reason, left(detail, 200) FROM dualwrite.dead_letters WHERE new_row ->> 'activity_slug' = 'slow'")"
errors=$(metric 'dualwrite_errors_total{stage="apply"}')
gt "$errors" 0 || fail "failed attempts not counted (dualwrite_errors_total{stage=\"apply\"} = $errors)"
for _ in $(seq 1 40); do [ "$(readyz_code)" = 200 ] && break; sleep 0.5; done
[ "$(readyz_code)" = 200 ] || fail "/readyz not ok after the change was dead-lettered: $(readyz)"
echo "ok: the bridge's own session timeouts apply, failed attempts are counted ($errors), a change that cannot be applied became a letter written in its own transaction"
