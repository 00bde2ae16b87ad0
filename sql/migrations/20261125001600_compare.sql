-- Comparing the real target tables with the expected state of sql/verify/expected.sql (run that
-- first): per table a full join on the table's key, each side reduced to md5 of a canonical text
-- of the row. Used by the integration tests and, later, by `dualwrite verify`.
--
--   SELECT * FROM dualwrite_expected.counts();              -- (table_name, expected, actual)
--   SELECT * FROM dualwrite_expected.diff('chat_messages');  -- first 100 differing keys
--   SELECT * FROM dualwrite_expected.diff_all(20);           -- first 20 per table, all twelve
--
-- problem: 'missing' (expected, not in the table), 'extra' (in the table, not expected),
-- 'different' (both, some compared column differs). max_rows NULL means no limit.
--
-- Canonical row text: row(...)::text of the compared columns. jsonb prints canonically (keys
-- sorted, no insignificant whitespace), so two jsonb values print alike exactly when they are
-- equal as jsonb; enums print their label; timestamptz prints the same instant alike within one
-- session; numeric(6,3) keeps its scale on both sides.
--
-- Keys: the id for tables keyed by id — on the three partitioned tables too, whose primary keys
-- add the partition key only because PostgreSQL requires it (ids are unique on their own), so a
-- row that sits under another account / run / session shows as 'different', not as a
-- missing/extra pair; account_id for account_profiles and account_settings; session_id for
-- chat_summaries.
--
-- Deliberate exceptions (what the bridge cannot keep equal to a function of the legacy tables
-- as they are now, or does not own):
--   accounts, 'extra'          not reported for an account that has no row in the real
--                              account_user_links: the bridge never deletes accounts (a linkage
--                              DELETE or re-pointing leaves the old account, mapping.md), and the
--                              app may create accounts. An unexpected account that some link
--                              points at is reported.
--   accounts, columns          compared. An account whose account_metadata row was deleted keeps
--                              the metadata's status/onboarding_state/updated_at (mapping.md:
--                              DELETE does nothing) and is reported 'different'; so is one whose
--                              metadata's latest change was dead-lettered.
--   interaction_sources,       not reported: the bridge never deletes sources (a feedback DELETE
--   'extra'                    or a suggestion_id set NULL leaves the source), and the app creates
--                              sources of the other types (quiz, chat, manual).
--   interaction_sources.       not compared: it is the created_at of the first feedback that
--   created_at                 named the suggestion in commit order, possibly since deleted or
--                              changed; the view's value (first by legacy id) is right for a
--                              backfill only.
--   chat_messages.sequence     compared as the rank of the message in its session (row_number by
--                              sequence on the real side): the stream gives 1 + the session's
--                              highest, so a deleted message leaves a gap a backfill would not;
--                              the order is what the column means, and the order is checked.
--   recommendation_items       outcome columns compared: mapping.md has no rule that undoes an
--                              outcome, so an item whose feedback was deleted or changed since
--                              keeps it and is reported 'different'.
--   activity_id (interactions, compared: a slug added to the catalog after the row was written
--   items)                     leaves it NULL in the table (catalog changes are not translated)
--                              and is reported 'different'.
-- The views themselves hold what is applied; rows whose changes are in dualwrite.dead_letters
-- unresolved are reported 'missing' (or 'different' for a dead-lettered UPDATE), which is right:
-- the target does lack them until the letters are retried.

-- One row per compared table: how to read each side. key_expr, expected_row and actual_row are
-- expressions over alias x of expected_from / actual_from; extra_ignored over alias x of
-- actual_from (true: an unexpected row is not reported).
CREATE OR REPLACE VIEW dualwrite_expected.compare_spec AS
SELECT * FROM (VALUES
  (1, 'accounts', 'x.id::text', 'row(x.*)::text', 'public.accounts', 'row(x.*)::text',
   'NOT EXISTS (SELECT 1 FROM public.account_user_links l WHERE l.account_id = x.id)'),
  (2, 'account_user_links', 'x.id::text', 'row(x.*)::text', 'public.account_user_links',
   'row(x.*)::text', 'false'),
  (3, 'account_profiles', 'x.account_id::text', 'row(x.*)::text', 'public.account_profiles',
   'row(x.*)::text', 'false'),
  (4, 'account_settings', 'x.account_id::text', 'row(x.*)::text', 'public.account_settings',
   'row(x.*)::text', 'false'),
  (5, 'interaction_sources', 'x.id::text', 'row(x.id, x.source_type, x.source_id, x.context)::text',
   'public.interaction_sources', 'row(x.id, x.source_type, x.source_id, x.context)::text', 'true'),
  (6, 'activity_interactions', 'x.id::text', 'row(x.*)::text', 'public.activity_interactions',
   'row(x.*)::text', 'false'),
  (7, 'recommendation_runs', 'x.id::text', 'row(x.*)::text', 'public.recommendation_runs',
   'row(x.*)::text', 'false'),
  (8, 'recommendation_items', 'x.id::text', 'row(x.*)::text', 'public.recommendation_items',
   'row(x.*)::text', 'false'),
  (9, 'offline_interactions', 'x.id::text', 'row(x.*)::text', 'public.offline_interactions',
   'row(x.*)::text', 'false'),
  (10, 'chat_sessions', 'x.id::text', 'row(x.*)::text', 'public.chat_sessions',
   'row(x.*)::text', 'false'),
  (11, 'chat_messages', 'x.id::text', 'row(x.*)::text',
   '(SELECT m.id, m.session_id, m.role, m.content,'
   ' row_number() OVER (PARTITION BY m.session_id ORDER BY m.sequence)::integer AS sequence,'
   ' m.tool_calls, m.latency_ms, m.metadata, m.created_at FROM public.chat_messages m)',
   'row(x.*)::text', 'false'),
  (12, 'chat_summaries', 'x.session_id::text', 'row(x.*)::text', 'public.chat_summaries',
   'row(x.*)::text', 'false')
) AS s(ord, table_name, key_expr, expected_row, actual_from, actual_row, extra_ignored);
COMMENT ON VIEW dualwrite_expected.compare_spec IS
  'How diff() reads each target table and its expected view (sql/verify/compare.sql).';

-- The input is named tbl: a RETURNS TABLE column may not share a parameter's name.
CREATE OR REPLACE FUNCTION dualwrite_expected.diff(tbl text, max_rows integer DEFAULT 100)
  RETURNS TABLE (table_name text, key text, problem text)
  LANGUAGE plpgsql STABLE
  AS $fn$
DECLARE
  s dualwrite_expected.compare_spec;
BEGIN
  SELECT * INTO s FROM dualwrite_expected.compare_spec c WHERE c.table_name = tbl;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'dualwrite_expected.diff: no target table named %', tbl
      USING HINT = 'one of: ' || (SELECT string_agg(c.table_name, ', ' ORDER BY c.ord)
                                    FROM dualwrite_expected.compare_spec c);
  END IF;
  RETURN QUERY EXECUTE format($q$
    WITH e AS (SELECT %1$s AS k, md5(%2$s) AS d FROM dualwrite_expected.%3$I x),
         a AS (SELECT %1$s AS k, md5(%4$s) AS d, (%5$s) AS extra_ignored FROM %6$s x)
    SELECT %7$L::text, coalesce(e.k, a.k),
           CASE WHEN a.k IS NULL THEN 'missing' WHEN e.k IS NULL THEN 'extra'
                ELSE 'different' END
      FROM e FULL JOIN a ON a.k = e.k
     WHERE (e.k IS NULL AND NOT a.extra_ignored)
        OR a.k IS NULL
        OR e.d <> a.d
     ORDER BY 2
     LIMIT $1
  $q$, s.key_expr, s.expected_row, s.table_name, s.actual_row, s.extra_ignored, s.actual_from,
       s.table_name)
  USING max_rows;
END
$fn$;
COMMENT ON FUNCTION dualwrite_expected.diff(text, integer) IS
  'Keys where public.<tbl> differs from dualwrite_expected.<tbl>: missing / extra / different.';

CREATE OR REPLACE FUNCTION dualwrite_expected.diff_all(max_rows integer DEFAULT 100)
  RETURNS TABLE (table_name text, key text, problem text)
  LANGUAGE plpgsql STABLE
  AS $fn$
DECLARE
  t text;
BEGIN
  FOR t IN SELECT c.table_name FROM dualwrite_expected.compare_spec c ORDER BY c.ord LOOP
    RETURN QUERY SELECT * FROM dualwrite_expected.diff(t, max_rows);
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION dualwrite_expected.diff_all(integer) IS
  'diff() over the twelve target tables, at most max_rows per table.';

-- Row counts, expected and actual. The counts are of whole tables: accounts and
-- interaction_sources may legitimately hold more rows than expected (see the header).
CREATE OR REPLACE FUNCTION dualwrite_expected.counts()
  RETURNS TABLE (table_name text, expected bigint, actual bigint)
  LANGUAGE plpgsql STABLE
  AS $fn$
DECLARE
  t text;
BEGIN
  FOR t IN SELECT c.table_name FROM dualwrite_expected.compare_spec c ORDER BY c.ord LOOP
    table_name := t;
    EXECUTE format('SELECT (SELECT count(*) FROM dualwrite_expected.%1$I),'
                   ' (SELECT count(*) FROM public.%1$I)', t)
       INTO expected, actual;
    RETURN NEXT;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION dualwrite_expected.counts() IS
  'Row counts of each dualwrite_expected view and its target table.';

DO $do$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dualwrite') THEN
    GRANT SELECT ON dualwrite_expected.compare_spec TO dualwrite;
    GRANT EXECUTE ON FUNCTION dualwrite_expected.diff(text, integer),
                              dualwrite_expected.diff_all(integer),
                              dualwrite_expected.counts() TO dualwrite;
  END IF;
END
$do$;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125001600', 'compare') ON CONFLICT (version) DO NOTHING;
