#!/usr/bin/env bash
# `dualwrite check` on a real database: it passes on a good one (publication and slot present),
# as the superuser and as the least-privileged `dualwrite` role; each broken precondition is one
# FAIL line saying how to fix it, with the exit code of its domain (4 source, 5 target); every
# privilege some command needs is checked (the GRANT that fixes it, and who needs it).
#
#   tests/shell/tools/check.sh BUILD_DIR      (needs DUALWRITE_TEST_CONNINFO, as scripts/test sets)
source "$(dirname "$0")/lib.sh"
new_db check
slot=$DUALWRITE_SOURCE_SLOT
as_bridge=$(sed "s/user=[^ ]*/user=dualwrite/" <<<"$conn")

sql -c "SELECT pg_create_logical_replication_slot('$slot', 'pgoutput')" >/dev/null
expect "passes on a good database with publication and slot" 0 \
  "^ok   slot: $slot: pgoutput, database $db, wal_status reserved" \
  "^ok   publication: dualwrite_legacy covers exactly the 9 \[source\] tables and the catalog public.activities" \
  "^ok   replica identity: all 9 legacy tables" \
  "^ok   migrations: all [0-9]+ applied \(latest [0-9]+_" \
  "^ok   bootstrap: not bootstrapped" \
  "^[0-9]+ checks: 0 failed" -- "$bin" check
expect "passes as the dualwrite role" 0 \
  "^ok   replication privilege: role dualwrite has REPLICATION" \
  "^ok   target privileges: role dualwrite may write the 12 new tables" \
  "^ok   replication origin functions: role dualwrite may execute" \
  -- env DUALWRITE_SOURCE_CONNINFO="$as_bridge" "$bin" check

sql -c "ALTER TABLE public.account_metadata REPLICA IDENTITY NOTHING"
expect "replica identity NOTHING fails, with the fix" 4 \
  "^FAIL replica identity: public.account_metadata has REPLICA IDENTITY NOTHING.*ALTER TABLE public.account_metadata REPLICA IDENTITY DEFAULT" \
  -- "$bin" check
sql -c "ALTER TABLE public.account_metadata REPLICA IDENTITY DEFAULT"

sql -c "DELETE FROM dualwrite.schema_migrations WHERE version = '20261125001600'"
expect "a missing migration row fails, naming it" 5 \
  "^FAIL migrations: 1 of [0-9]+ not recorded in dualwrite.schema_migrations: 20261125001600_compare;" \
  -- "$bin" check
sql -c "INSERT INTO dualwrite.schema_migrations (version, name) VALUES ('20261125001600', 'compare')"

sql -c "REVOKE DELETE ON public.chat_messages FROM dualwrite"
expect "a missing target privilege fails, with the GRANT" 5 \
  "^FAIL target privileges: role dualwrite lacks DELETE on public.chat_messages: GRANT DELETE ON public.chat_messages TO dualwrite" \
  -- env DUALWRITE_SOURCE_CONNINFO="$as_bridge" "$bin" check
sql -c "GRANT DELETE ON public.chat_messages TO dualwrite"

# Every privilege a command needs, from the one list (admin/privileges.hpp): bootstrap's and
# verify's reads, the apply's catalog lookup, the bookkeeping, decommission's origin drop,
# temporary tables, and a write policy where row-level security applies.
sql -c "REVOKE SELECT ON public.activities FROM dualwrite"
expect "the catalog the apply reads" 5 \
  "^FAIL target privileges: role dualwrite lacks SELECT on public.activities: GRANT SELECT ON public.activities TO dualwrite \(needed by bootstrap, run, replay, dead-letters\)" \
  -- env DUALWRITE_SOURCE_CONNINFO="$as_bridge" "$bin" check
sql -c "GRANT SELECT ON public.activities TO dualwrite"
sql -c "REVOKE INSERT ON dualwrite.bootstrap FROM dualwrite"
expect "bootstrap's record" 5 \
  "^FAIL target privileges: role dualwrite lacks INSERT on dualwrite.bootstrap: GRANT INSERT ON dualwrite.bootstrap TO dualwrite \(needed by check, bootstrap, run, status, decommission\)" \
  -- env DUALWRITE_SOURCE_CONNINFO="$as_bridge" "$bin" check
sql -c "GRANT INSERT ON dualwrite.bootstrap TO dualwrite"
sql -c "REVOKE EXECUTE ON FUNCTION pg_replication_origin_drop(text) FROM dualwrite"
expect "the origin function only decommission calls" 5 \
  "^FAIL replication origin functions: role dualwrite lacks EXECUTE on pg_catalog.pg_replication_origin_drop\(text\): GRANT EXECUTE ON FUNCTION pg_catalog.pg_replication_origin_drop\(text\) TO dualwrite \(as a superuser\) \(needed by decommission\)" \
  -- env DUALWRITE_SOURCE_CONNINFO="$as_bridge" "$bin" check
sql -c "GRANT EXECUTE ON FUNCTION pg_replication_origin_drop(text) TO dualwrite"
sql -c "REVOKE SELECT ON dualwrite_expected._items FROM dualwrite"
expect "the expected-state views bootstrap and verify read" 4 \
  "^FAIL source privileges: role dualwrite lacks SELECT on the tables of schema dualwrite_expected: GRANT SELECT ON ALL TABLES IN SCHEMA dualwrite_expected TO dualwrite \(needed by bootstrap, verify\)" \
  -- env DUALWRITE_SOURCE_CONNINFO="$as_bridge" "$bin" check
sql -c "GRANT SELECT ON dualwrite_expected._items TO dualwrite"
sql -c "REVOKE TEMPORARY ON DATABASE $db FROM PUBLIC"
expect "temporary tables" 5 \
  "^FAIL target privileges: role dualwrite lacks TEMPORARY on database $db: GRANT TEMPORARY ON DATABASE $db TO dualwrite" \
  -- env DUALWRITE_SOURCE_CONNINFO="$as_bridge" "$bin" check
sql -c "GRANT TEMPORARY ON DATABASE $db TO PUBLIC"
sql -c "ALTER POLICY dualwrite_all ON public.chat_messages RENAME TO dualwrite_was_all;
        ALTER POLICY dualwrite_was_all ON public.chat_messages TO authenticated;
        CREATE POLICY dualwrite_read ON public.chat_messages FOR SELECT TO dualwrite USING (true)"
expect "row-level security that lets the role read but not write" 5 \
  "^FAIL target privileges: public.chat_messages has row-level security and no policy lets role dualwrite INSERT/UPDATE/DELETE it .*CREATE POLICY dualwrite_insert ON public.chat_messages FOR INSERT TO dualwrite WITH CHECK \(true\)" \
  -- env DUALWRITE_SOURCE_CONNINFO="$as_bridge" "$bin" check
sql -c "DROP POLICY dualwrite_read ON public.chat_messages;
        ALTER POLICY dualwrite_was_all ON public.chat_messages TO dualwrite;
        ALTER POLICY dualwrite_was_all ON public.chat_messages RENAME TO dualwrite_all"
expect "every privilege back: passes as the dualwrite role" 0 "^[0-9]+ checks: 0 failed" \
  -- env DUALWRITE_SOURCE_CONNINFO="$as_bridge" "$bin" check

sql -c "ALTER TABLE public.account_linkages ENABLE ROW LEVEL SECURITY; DROP POLICY dualwrite_read ON public.account_linkages"
expect "row-level security without a policy for the role fails" 4 \
  "^FAIL legacy tables: public.account_linkages has row-level security and no policy lets role dualwrite read it" \
  -- env DUALWRITE_SOURCE_CONNINFO="$as_bridge" "$bin" check
sql -c "CREATE POLICY dualwrite_read ON public.account_linkages FOR SELECT TO dualwrite USING (true)"

sql -c "ALTER PUBLICATION dualwrite_legacy DROP TABLE public.chatbot_messages"
expect "a publication without a configured table fails" 4 \
  "^FAIL publication: dualwrite_legacy lacks public.chatbot_messages \(ALTER PUBLICATION dualwrite_legacy ADD TABLE public.chatbot_messages\)" \
  -- "$bin" check
sql -c "ALTER PUBLICATION dualwrite_legacy ADD TABLE public.chatbot_messages; ALTER PUBLICATION dualwrite_legacy DROP TABLE public.activities"
expect "a publication without the catalog fails (mapping.md, activities)" 4 \
  "^FAIL publication: dualwrite_legacy lacks public.activities \(ALTER PUBLICATION dualwrite_legacy ADD TABLE public.activities\)" \
  -- "$bin" check
sql -c "DROP PUBLICATION dualwrite_legacy"
expect "an absent publication is a warning" 0 "^warn publication: dualwrite_legacy does not exist" -- "$bin" check

sql -c "INSERT INTO dualwrite.bootstrap (slot, publication, origin, consistent_point) VALUES ('$slot', 'dualwrite_legacy', '$slot', '0/1');
        INSERT INTO dualwrite.bootstrap_chunks (slot, step, chunk, ordinal, done_at)
        VALUES ('$slot', 'accounts', 1, 1, now()), ('$slot', 'accounts', 2, 1, NULL)"
expect "an unfinished bootstrap is a warning with its progress" 0 \
  "^warn bootstrap: unfinished: 1 of 2 chunks done" -- "$bin" check

sql -c "SELECT pg_drop_replication_slot('$slot')" >/dev/null
sql -c "SELECT pg_create_logical_replication_slot('$slot', 'test_decoding')" >/dev/null
expect "a slot of another plugin fails" 4 "^FAIL slot: $slot is a logical slot of plugin test_decoding, not pgoutput" -- "$bin" check
sql -c "SELECT pg_drop_replication_slot('$slot')" >/dev/null

expect "an unreachable source fails (4), the target too" 4 \
  "^FAIL source: cannot connect: .*fix \[source\] conninfo" "^FAIL target: cannot connect" \
  -- env DUALWRITE_SOURCE_CONNINFO="host=/nonexistent dbname=x" "$bin" check
expect "an unreachable target alone fails with 5" 5 "^FAIL target: cannot connect" \
  -- env DUALWRITE_TARGET_CONNINFO="host=/nonexistent dbname=x" "$bin" check
expect "a bad config is exit 2" 2 "cannot read config file /nonexistent.toml" -- "$bin" check --config /nonexistent.toml

finish
