-- Phase 2, step 1: the compatibility layer (schema `compat`), built while the bridge still runs.
-- Changes nothing a client sees: the nine views are created in schema `compat`, under the legacy
-- tables' names, and only `compat.switch()` (sql/phase2/switch.sql) puts them in `public`.
--
-- THE SWITCH (compat.switch, one transaction, atomic for every client):
--   1. LOCK the nine legacy tables ACCESS EXCLUSIVE (lock_timeout: a long transaction on them
--      makes the switch fail cleanly, to be retried, instead of queueing every client behind it).
--      From here no legacy write can commit.
--   2. Wait until the bridge has applied every legacy transaction committed before the lock: a
--      temporary copy of its slot (made before the lock) is peeked, up to the end of the WAL
--      written under the lock, for commits past the bridge's applied position (its origin); none
--      left: go on. Refuse if some remain after `wait`, or at once if the bridge is stopped.
--      Without the REPLICATION attribute, wait instead for the position the bridge reports.
--   3. Refuse while dualwrite.dead_letters holds unresolved letters: their legacy rows are
--      missing from the new tables, so the views would not show them.
--   4. ALTER TABLE public.<t> SET SCHEMA legacy, ALTER VIEW compat.<t> SET SCHEMA public, for
--      the nine tables; copy each legacy table's SELECT/INSERT/UPDATE/DELETE grants to its view.
--   5. Freeze the eight legacy tables that are now history (a statement trigger refuses every
--      write); install the change log triggers on the new tables (for a lossless rollback).
-- Clients see either the tables or the views, never neither: statements queued behind the lock
-- resolve the name again once they get it, and land in the view (prepared statements and
-- cached plans are re-planned: their relation was invalidated). Nothing is renamed on the new
-- tables, so the switched application is unaffected.
--
-- Why rename rather than a `compat` schema first on the clients' search_path: PostgREST (the
-- Supabase API) and any schema-qualified query address `public.activity_feedback` directly, so
-- only a view that IS public.activity_feedback reaches every client not yet switched, and only a
-- rename makes the change atomic for all of them at once. The compat schema is still useful
-- before the switch: the views can be read there (as the owner) and compared with the live
-- legacy tables while the bridge runs (docs/cutover.md, "Rehearse the views").
--
-- THE VIEWS (security_invoker: the caller's privileges and the new tables' RLS apply, so an
-- account holder sees their account's rows, service_role everything). Each shows the legacy
-- table's columns, in its column order and types, computed from the new tables (mapping.md
-- backwards). Exact for every row the bridge wrote, except where the mapping loses information:
--   * user_id (feedback, suggestions, offline likes, conversations, user_attributes) is the
--     account's primary linked user (is_primary): legacy accounts have exactly one user;
--   * activity_feedback: likes/saves the bridge merged into an earlier one are not shown (the new
--     model keeps one per account and activity; the duplicates stay in the legacy table and in
--     dualwrite.merged_interactions until Phase 3); rows the bridge dead-lettered are absent;
--   * user_attributes.preferences carries notifications / feature_flags only when they are not
--     empty objects (mapping.md turns an absent key into '{}'; an explicit {} reads back absent);
--   * ai_suggestions.suggestions: each element is {slug, score?, reason?, features?}, features
--     only when non-empty (an explicit "features": {} reads back absent);
--   * chatbot_messages.metadata gets tool_calls / latency_ms back when their columns are set.
--
-- WRITES THE VIEWS ACCEPT (after the switch only; before it every write is refused with
-- "accepts writes only after the Phase 2 switch"). Each INSTEAD OF trigger writes the new
-- tables by the rules of mapping.md, as the caller (RLS applies), so a row written through a view
-- is the row the bridge would have written for the same legacy write. Refused writes raise
-- SQLSTATE 0A000 with "<view> is a compatibility view since the Phase 2 switch: <what> is not
-- supported; write <new table> instead".
--   view                   accepts                                          refuses
--   account_linkages       INSERT (account created if new), UPDATE of       UPDATE of id
--                          user_id/account_id/created_at, DELETE (the
--                          link; the account stays)
--   account_metadata       INSERT, UPDATE, DELETE (the JSON store row;      UPDATE of account_id
--                          status/onboarding_state go to accounts)
--   user_attributes        INSERT, UPDATE, DELETE (profile + settings)      UPDATE of user_id/account_id
--   activity_feedback      INSERT (a like/save that the account already     UPDATE of any column but
--                          has returns the existing row), UPDATE of score   score and metadata
--                          and metadata, DELETE (an unlike)
--   ai_suggestions         INSERT, UPDATE (items 1..n upserted keeping      UPDATE of id/user_id/account_id
--                          their outcomes, items past n removed), DELETE
--   offline_likes          INSERT, UPDATE of payload/updated_at, DELETE     UPDATE of user_id/activity_slug/account_id
--   chatbot_conversations  INSERT, UPDATE, DELETE (messages, summary go)    UPDATE of id/user_id/account_id
--   chatbot_messages       INSERT (sequence = 1 + the session's highest),   UPDATE of id/conversation_id
--                          UPDATE (sequence kept), DELETE
--   conversation_context   INSERT, UPDATE, DELETE                           UPDATE of conversation_id
-- Everywhere: a value the new schema has no place for (an unknown feedback_type, source, status,
-- conversation_type, role, age_range; a malformed suggestions/preferences/metadata) is refused
-- with SQLSTATE 22P02 naming the column; a user without an account link with 23503. PostgreSQL
-- itself refuses TRUNCATE of a view and INSERT ... ON CONFLICT (target) on one: upserts must go
-- to the new tables.
--
-- ROLLBACK (compat.rollback, sql/phase2/rollback.sql) is lossless: from the switch on, statement
-- triggers on the new tables log the legacy key of every row that changes
-- (compat.back_copy_pending), whoever writes it (the switched app or a view). The rollback locks
-- the views (and so the new tables), copies those rows back into the legacy tables through the
-- views (compat.back_copy: the inverse mapping), re-keys the rows the application created with
-- its own ids so that later legacy changes find them, and moves tables and views back, in one
-- transaction. compat.back_copy() can also be run at any time while switched, to keep the
-- legacy tables close and the rollback short. The bridge never sees the copy: it runs while the
-- tables are in schema `legacy`, which the bridge does not translate.
--
-- activity_feedback ids: the legacy id is bigint, the new one uuid v5 of it. The view finds the
-- legacy id through compat.activity_feedback_ids: the legacy table itself (index on v5 of its
-- id, built concurrently by the next file) plus compat.activity_feedback_map, which holds the
-- ids of rows created after the switch, taken from the legacy table's own identity sequence (so
-- a rollback puts them back without collisions).
--
-- Idempotent: IF NOT EXISTS, CREATE OR REPLACE; the views are (re)created only while not
-- switched (after the switch they are public objects; this file then only refreshes functions).
-- Requires the old and the new tables in one database (the bridge's default: [target] conninfo
-- empty); with a separate target database the views cannot exist and clients switch directly.

SET LOCAL client_min_messages = warning;

CREATE SCHEMA IF NOT EXISTS compat;
COMMENT ON SCHEMA compat IS
  'Phase 2 compatibility views over the normalized tables, their triggers, the switch and its rollback (sql/phase2/).';
CREATE SCHEMA IF NOT EXISTS legacy;
COMMENT ON SCHEMA legacy IS
  'The legacy tables after the Phase 2 switch (frozen history, except account_metadata); dropped in Phase 3.';
-- USAGE only lets names resolve: the tables keep their own grants (the same as when they were in
-- public, where PUBLIC has USAGE too), and nothing in compat is granted before the switch.
GRANT USAGE ON SCHEMA compat, legacy TO PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------

-- mapping.md rule 1, search_path-independent and inlinable (see dualwrite_expected.v5): the
-- expression index of the next file is built on it.
DO $do$
DECLARE
  ext_schema name;
BEGIN
  SELECT n.nspname INTO ext_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
   WHERE e.extname = 'uuid-ossp';
  IF ext_schema IS NULL THEN
    RAISE EXCEPTION 'extension uuid-ossp is not installed (the Phase 0 migrations install it)';
  END IF;
  EXECUTE format($f$
    CREATE OR REPLACE FUNCTION compat.v5(name text) RETURNS uuid
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS 'SELECT %I.uuid_generate_v5(''b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45''::uuid, name)'
  $f$, ext_schema);
END
$do$;

-- The switch has happened when the legacy name in public is a view.
CREATE OR REPLACE FUNCTION compat.switched() RETURNS boolean
  LANGUAGE sql STABLE SET search_path = ''
  AS $fn$
    SELECT coalesce((SELECT c.relkind = 'v' FROM pg_catalog.pg_class c
                      WHERE c.oid = pg_catalog.to_regclass('public.activity_feedback')), false)
  $fn$;

CREATE OR REPLACE FUNCTION compat.require_switched(view_name text) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = ''
  AS $fn$
BEGIN
  IF NOT compat.switched() THEN
    RAISE EXCEPTION 'compat.% accepts writes only after the Phase 2 switch (sql/phase2/switch.sql); until then write public.%, the legacy table', view_name, view_name
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION compat.refuse(view_name text, what text, use_instead text) RETURNS void
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
BEGIN
  RAISE EXCEPTION '% is a compatibility view since the Phase 2 switch: % is not supported; write % instead',
    view_name, what, use_instead
    USING ERRCODE = 'feature_not_supported';
END
$fn$;

CREATE OR REPLACE FUNCTION compat.invalid(view_name text, col text, val text, expected text) RETURNS void
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
BEGIN
  RAISE EXCEPTION '%: % % has no place in the new schema (expected %)', view_name, col,
    coalesce(pg_catalog.quote_literal(val), 'NULL'), expected
    USING ERRCODE = 'invalid_text_representation';
END
$fn$;

-- The account of a legacy row: its account_id, else the account linked to its user (the legacy
-- BEFORE INSERT triggers, and mapping.md rule 3). The new tables need one.
CREATE OR REPLACE FUNCTION compat.account_of(view_name text, user_id uuid, account_id uuid)
  RETURNS uuid
  LANGUAGE plpgsql STABLE SET search_path = ''
  AS $fn$
DECLARE
  acct uuid := account_id;
BEGIN
  IF acct IS NULL THEN
    SELECT l.account_id INTO acct FROM public.account_user_links l WHERE l.supabase_user_id = user_id;
  END IF;
  IF acct IS NULL THEN
    RAISE EXCEPTION '%: user % has no account (no account_user_links row): the new tables need one', view_name, user_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN acct;
END
$fn$;

-- The user a legacy row shows for an account: its primary linked user.
CREATE OR REPLACE FUNCTION compat.primary_user(account uuid) RETURNS uuid
  LANGUAGE sql STABLE SET search_path = ''
  AS $fn$
    SELECT l.supabase_user_id FROM public.account_user_links l WHERE l.account_id = account AND l.is_primary
  $fn$;

-- The catalog id of a slug, as the bridge resolves it. SECURITY DEFINER: an account holder sees
-- only published activities through RLS, while the bridge links feedback to any catalogued one.
-- Reveals only the id of a slug the caller already names.
CREATE OR REPLACE FUNCTION compat.activity_id_of(slug text) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
  AS $fn$ SELECT a.id FROM public.activities a WHERE a.slug = activity_id_of.slug $fn$;

-- mapping.md, activity_feedback: feedback_type -> interaction_type (NULL: no such type).
CREATE OR REPLACE FUNCTION compat.interaction_type_of(feedback_type text)
  RETURNS public.interaction_type
  LANGUAGE sql IMMUTABLE SET search_path = ''
  AS $fn$
    SELECT (CASE feedback_type
              WHEN 'like' THEN 'like' WHEN 'dislike' THEN 'skip' WHEN 'skip' THEN 'skip'
              WHEN 'view' THEN 'view' WHEN 'save' THEN 'bookmark' WHEN 'booked' THEN 'book'
              WHEN 'shared' THEN 'share' END)::public.interaction_type
  $fn$;

-- and back: a skip carrying the dislike marker was a dislike.
CREATE OR REPLACE FUNCTION compat.feedback_type_of(t public.interaction_type, metadata jsonb)
  RETURNS text
  LANGUAGE sql IMMUTABLE SET search_path = ''
  AS $fn$
    SELECT CASE t
             WHEN 'like' THEN 'like'
             WHEN 'skip' THEN CASE WHEN metadata ->> 'legacy_feedback_type' = 'dislike'
                                   THEN 'dislike' ELSE 'skip' END
             WHEN 'view' THEN 'view' WHEN 'bookmark' THEN 'save' WHEN 'book' THEN 'booked'
             WHEN 'share' THEN 'shared' END
  $fn$;

-- ai_suggestions: an element of suggestions <-> ranking_features (mapping.md).
CREATE OR REPLACE FUNCTION compat.ranking_features(elem jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE SET search_path = ''
  AS $fn$
    SELECT (coalesce(elem -> 'features', '{}'::jsonb) - 'score' - 'reason')
           || CASE WHEN elem ? 'score' THEN jsonb_build_object('score', elem -> 'score') ELSE '{}'::jsonb END
           || CASE WHEN elem ? 'reason' THEN jsonb_build_object('reason', elem -> 'reason') ELSE '{}'::jsonb END
  $fn$;

CREATE OR REPLACE FUNCTION compat.suggestion_element(slug text, ranking_features jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE SET search_path = ''
  AS $fn$
    SELECT jsonb_build_object('slug', slug)
           || CASE WHEN ranking_features ? 'score'
                   THEN jsonb_build_object('score', ranking_features -> 'score') ELSE '{}'::jsonb END
           || CASE WHEN ranking_features ? 'reason'
                   THEN jsonb_build_object('reason', ranking_features -> 'reason') ELSE '{}'::jsonb END
           || CASE WHEN (ranking_features - 'score' - 'reason') <> '{}'::jsonb
                   THEN jsonb_build_object('features', ranking_features - 'score' - 'reason')
                   ELSE '{}'::jsonb END
  $fn$;

-- chatbot_messages.metadata: latency_ms moves to its column when it is an integer that fits
-- (the rule of the bridge and of dualwrite_expected.chat_messages).
CREATE OR REPLACE FUNCTION compat.latency_of(metadata jsonb) RETURNS integer
  LANGUAGE sql IMMUTABLE SET search_path = ''
  AS $fn$
    SELECT CASE WHEN jsonb_typeof(metadata -> 'latency_ms') = 'number'
                 AND (metadata ->> 'latency_ms') ~ '^-?[0-9]+$'
                 AND (metadata ->> 'latency_ms')::numeric BETWEEN -2147483648 AND 2147483647
                THEN (metadata ->> 'latency_ms')::integer END
  $fn$;

-- offline_likes: the user of an offline like is the account's user whose v5 name gives the row's
-- id (mapping.md), else the primary user (rows the application created with its own id).
CREATE OR REPLACE FUNCTION compat.offline_user(id uuid, account uuid, slug text) RETURNS uuid
  LANGUAGE sql STABLE SET search_path = ''
  AS $fn$
    SELECT l.supabase_user_id FROM public.account_user_links l
     WHERE l.account_id = account
     ORDER BY (compat.v5('offline_likes:' || l.supabase_user_id::text || ':' || slug) = id) DESC,
              l.is_primary DESC, l.linked_at, l.id
     LIMIT 1
  $fn$;

-- ---------------------------------------------------------------------------------------------
-- activity_feedback ids, the change log, the history
-- ---------------------------------------------------------------------------------------------

-- Legacy ids of interactions created after the switch (through the view, or by the application
-- with any id): one row each, legacy_id from the legacy table's identity sequence.
CREATE TABLE IF NOT EXISTS compat.activity_feedback_map (
  id         uuid        NOT NULL PRIMARY KEY,
  legacy_id  bigint      NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE compat.activity_feedback_map IS
  'Legacy (bigint) ids of activity_interactions rows created after the Phase 2 switch.';

-- Legacy keys whose rows changed in the new tables since the switch and are not yet copied back.
-- key: the legacy primary key as text (account_id for account_metadata and user_attributes,
-- which are copied back per account; "account_id:slug" for offline_likes).
CREATE TABLE IF NOT EXISTS compat.back_copy_pending (
  legacy_table text        NOT NULL,
  key          text        NOT NULL,
  logged_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (legacy_table, key)
);
COMMENT ON TABLE compat.back_copy_pending IS
  'Legacy keys changed since the Phase 2 switch, to copy back on rollback (compat.back_copy).';

-- Runs whose items were created with ids other than mapping.md's v5 (by the application): the
-- rollback gives them their derived ids, so that later legacy changes of the run find them.
CREATE TABLE IF NOT EXISTS compat.rekey_runs (
  run_id uuid NOT NULL PRIMARY KEY
);

CREATE TABLE IF NOT EXISTS compat.switch_history (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  action      text        NOT NULL CHECK (action IN ('switch', 'rollback', 'back_copy')),
  at          timestamptz NOT NULL DEFAULT now(),
  lsn         pg_lsn,
  rows_copied bigint,
  by_role     name        NOT NULL DEFAULT current_user
);
COMMENT ON TABLE compat.switch_history IS 'Phase 2 switches, rollbacks and back-copies.';

-- Allocates the legacy id of a feedback row created through the view: the next value of the
-- legacy identity sequence, or the id the caller gave (refused when taken). SECURITY DEFINER:
-- callers have no rights on the sequence or the map. Takes no row data, so all it can do for an
-- arbitrary caller is burn an id.
CREATE OR REPLACE FUNCTION compat.claim_feedback_id(requested bigint DEFAULT NULL) RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
  AS $fn$
DECLARE
  n bigint := requested;
BEGIN
  PERFORM compat.require_switched('activity_feedback');
  IF n IS NULL THEN
    n := nextval(pg_catalog.pg_get_serial_sequence('legacy.activity_feedback', 'id')::regclass);
  ELSIF EXISTS (SELECT 1 FROM compat.activity_feedback_ids x WHERE x.legacy_id = n) THEN
    RAISE EXCEPTION 'activity_feedback: id % already exists', n USING ERRCODE = 'unique_violation';
  END IF;
  INSERT INTO compat.activity_feedback_map (id, legacy_id)
  VALUES (compat.v5('activity_feedback:' || n::text), n);
  RETURN n;
END
$fn$;

-- The bridge's outcome rule (dualwrite.recompute_outcomes) for one item (slug NULL: every item
-- of the run). SECURITY DEFINER: it reads dualwrite.merged_interactions. It only ever writes the
-- outcome the interactions determine, so any caller can only make it right.
CREATE OR REPLACE FUNCTION compat.recompute_outcomes(run uuid, slug text) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
  AS $fn$
BEGIN
  PERFORM dualwrite.recompute_outcomes(ARRAY[run], ARRAY[slug]);
END
$fn$;

-- ---------------------------------------------------------------------------------------------
-- The views (only while not switched: after the switch they live in public)
-- ---------------------------------------------------------------------------------------------

DO $views$
BEGIN
  IF compat.switched() THEN
    RAISE NOTICE 'Phase 2 is switched: the views are public objects now and are left as they are';
    RETURN;
  END IF;

  -- uuid -> legacy id of every feedback row: the legacy table (expression index of the next
  -- file) and the rows created since the switch. Not security_invoker: it reads the legacy table
  -- and the map with its owner's rights and shows only id pairs.
  CREATE OR REPLACE VIEW compat.activity_feedback_ids AS
  SELECT compat.v5('activity_feedback:' || f.id::text) AS id, f.id AS legacy_id
    FROM public.activity_feedback f
  UNION ALL
  SELECT m.id, m.legacy_id FROM compat.activity_feedback_map m;

  CREATE OR REPLACE VIEW compat.account_linkages WITH (security_invoker = true) AS
  SELECT l.id, l.supabase_user_id AS user_id, l.account_id, l.linked_at AS created_at
    FROM public.account_user_links l;

  -- The JSON store stays a table (the proposal keeps account_metadata); status and
  -- onboarding_state come from accounts, where they moved.
  CREATE OR REPLACE VIEW compat.account_metadata WITH (security_invoker = true) AS
  SELECT m.account_id, a.status::text AS status, a.onboarding_state, m.metadata, m.updated_at
    FROM public.account_metadata m
    JOIN public.accounts a ON a.id = m.account_id;

  CREATE OR REPLACE VIEW compat.user_attributes WITH (security_invoker = true) AS
  SELECT l.supabase_user_id AS user_id, p.account_id, p.display_name, p.locale, p.timezone,
         p.country, p.age_range::text AS age_range, p.travel_style,
         coalesce(s.preferences, '{}'::jsonb)
           || CASE WHEN s.notifications IS NOT NULL AND s.notifications <> '{}'::jsonb
                   THEN jsonb_build_object('notifications', s.notifications) ELSE '{}'::jsonb END
           || CASE WHEN s.feature_flags IS NOT NULL AND s.feature_flags <> '{}'::jsonb
                   THEN jsonb_build_object('feature_flags', s.feature_flags) ELSE '{}'::jsonb END
           AS preferences,
         greatest(p.updated_at, s.updated_at) AS updated_at
    FROM public.account_profiles p
    JOIN public.account_user_links l ON l.account_id = p.account_id
    LEFT JOIN public.account_settings s ON s.account_id = p.account_id;

  CREATE OR REPLACE VIEW compat.ai_suggestions WITH (security_invoker = true) AS
  SELECT r.id, l.supabase_user_id AS user_id, r.account_id,
         CASE r.trigger WHEN 'quiz_result' THEN 'quiz' WHEN 'chat_prompt' THEN 'chat'
                        ELSE r.trigger::text END AS source,
         r.input_parameters AS prompt,
         r.model_metadata ->> 'model' AS model,
         coalesce(r.model_metadata -> 'params', '{}'::jsonb) AS model_params,
         coalesce((SELECT jsonb_agg(compat.suggestion_element(it.activity_slug, it.ranking_features)
                                    ORDER BY it.position)
                     FROM public.recommendation_items it WHERE it.run_id = r.id), '[]'::jsonb)
           AS suggestions,
         r.status::text AS status,
         r.created_at
    FROM public.recommendation_runs r
    LEFT JOIN public.account_user_links l ON l.account_id = r.account_id AND l.is_primary;

  CREATE OR REPLACE VIEW compat.activity_feedback WITH (security_invoker = true) AS
  SELECT x.legacy_id AS id,
         l.supabase_user_id AS user_id,
         i.account_id,
         i.activity_slug,
         compat.feedback_type_of(i.interaction_type, i.metadata) AS feedback_type,
         s.source_id AS suggestion_id,
         i.score_delta AS score,
         CASE WHEN i.interaction_type = 'skip' AND i.metadata ->> 'legacy_feedback_type' = 'dislike'
              THEN i.metadata - 'legacy_feedback_type' ELSE i.metadata END AS metadata,
         i.created_at
    FROM public.activity_interactions i
    JOIN compat.activity_feedback_ids x ON x.id = i.id
    LEFT JOIN public.account_user_links l ON l.account_id = i.account_id AND l.is_primary
    LEFT JOIN public.interaction_sources s
           ON s.id = i.source_session_id AND s.source_type = 'recommendation';

  CREATE OR REPLACE VIEW compat.offline_likes WITH (security_invoker = true) AS
  SELECT compat.offline_user(o.id, o.account_id, o.activity_slug) AS user_id,
         o.activity_slug, o.account_id, o.payload, o.updated_at
    FROM public.offline_interactions o
   WHERE o.interaction_type = 'like';

  CREATE OR REPLACE VIEW compat.chatbot_conversations WITH (security_invoker = true) AS
  SELECT s.id, l.supabase_user_id AS user_id, s.account_id,
         s.session_type::text AS conversation_type, s.state AS context, s.created_by, s.metadata,
         s.started_at AS created_at, s.last_activity_at AS updated_at, s.closed_at AS ended_at
    FROM public.chat_sessions s
    LEFT JOIN public.account_user_links l ON l.account_id = s.account_id AND l.is_primary;

  CREATE OR REPLACE VIEW compat.chatbot_messages WITH (security_invoker = true) AS
  SELECT m.id, m.session_id AS conversation_id, m.role::text AS role, m.content,
         m.metadata
           || CASE WHEN m.tool_calls IS NOT NULL
                   THEN jsonb_build_object('tool_calls', m.tool_calls) ELSE '{}'::jsonb END
           || CASE WHEN m.latency_ms IS NOT NULL
                   THEN jsonb_build_object('latency_ms', m.latency_ms) ELSE '{}'::jsonb END
           AS metadata,
         m.created_at
    FROM public.chat_messages m;

  CREATE OR REPLACE VIEW compat.conversation_context WITH (security_invoker = true) AS
  SELECT c.session_id AS conversation_id, c.summary, c.last_updated_at AS updated_at
    FROM public.chat_summaries c;

  -- The legacy columns' defaults, so that an INSERT naming the same columns as before works.
  ALTER VIEW compat.account_linkages ALTER COLUMN id SET DEFAULT gen_random_uuid();
  ALTER VIEW compat.account_linkages ALTER COLUMN created_at SET DEFAULT now();
  ALTER VIEW compat.account_metadata ALTER COLUMN status SET DEFAULT 'active';
  ALTER VIEW compat.account_metadata ALTER COLUMN onboarding_state SET DEFAULT '{}'::jsonb;
  ALTER VIEW compat.account_metadata ALTER COLUMN metadata SET DEFAULT '{}'::jsonb;
  ALTER VIEW compat.account_metadata ALTER COLUMN updated_at SET DEFAULT now();
  ALTER VIEW compat.user_attributes ALTER COLUMN preferences SET DEFAULT '{}'::jsonb;
  ALTER VIEW compat.user_attributes ALTER COLUMN updated_at SET DEFAULT now();
  ALTER VIEW compat.ai_suggestions ALTER COLUMN id SET DEFAULT gen_random_uuid();
  ALTER VIEW compat.ai_suggestions ALTER COLUMN prompt SET DEFAULT '{}'::jsonb;
  ALTER VIEW compat.ai_suggestions ALTER COLUMN model_params SET DEFAULT '{}'::jsonb;
  ALTER VIEW compat.ai_suggestions ALTER COLUMN suggestions SET DEFAULT '[]'::jsonb;
  ALTER VIEW compat.ai_suggestions ALTER COLUMN status SET DEFAULT 'pending';
  ALTER VIEW compat.ai_suggestions ALTER COLUMN created_at SET DEFAULT now();
  -- activity_feedback.id: no default; the trigger allocates it (compat.claim_feedback_id).
  ALTER VIEW compat.activity_feedback ALTER COLUMN metadata SET DEFAULT '{}'::jsonb;
  ALTER VIEW compat.activity_feedback ALTER COLUMN created_at SET DEFAULT now();
  ALTER VIEW compat.offline_likes ALTER COLUMN payload SET DEFAULT '{}'::jsonb;
  ALTER VIEW compat.offline_likes ALTER COLUMN updated_at SET DEFAULT now();
  ALTER VIEW compat.chatbot_conversations ALTER COLUMN id SET DEFAULT gen_random_uuid();
  ALTER VIEW compat.chatbot_conversations ALTER COLUMN context SET DEFAULT '{}'::jsonb;
  ALTER VIEW compat.chatbot_conversations ALTER COLUMN metadata SET DEFAULT '{}'::jsonb;
  ALTER VIEW compat.chatbot_conversations ALTER COLUMN created_at SET DEFAULT now();
  ALTER VIEW compat.chatbot_conversations ALTER COLUMN updated_at SET DEFAULT now();
  ALTER VIEW compat.chatbot_messages ALTER COLUMN id SET DEFAULT gen_random_uuid();
  ALTER VIEW compat.chatbot_messages ALTER COLUMN metadata SET DEFAULT '{}'::jsonb;
  ALTER VIEW compat.chatbot_messages ALTER COLUMN created_at SET DEFAULT now();
  ALTER VIEW compat.conversation_context ALTER COLUMN updated_at SET DEFAULT now();

  -- Before the switch only the owner reads them (rehearsal); the switch grants what the legacy
  -- tables granted.
  REVOKE ALL ON compat.activity_feedback_ids, compat.account_linkages, compat.account_metadata,
    compat.user_attributes, compat.ai_suggestions, compat.activity_feedback, compat.offline_likes,
    compat.chatbot_conversations, compat.chatbot_messages, compat.conversation_context FROM PUBLIC;
END
$views$;

-- ---------------------------------------------------------------------------------------------
-- INSTEAD OF triggers: legacy writes -> the new tables (mapping.md), as the caller
-- ---------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION compat.account_linkages_write() RETURNS trigger
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
BEGIN
  PERFORM compat.require_switched('account_linkages');
  IF TG_OP = 'DELETE' THEN
    DELETE FROM public.account_user_links l WHERE l.id = OLD.id;
    RETURN CASE WHEN FOUND THEN OLD END;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id THEN
    PERFORM compat.refuse('account_linkages', 'UPDATE of id', 'public.account_user_links');
  END IF;
  NEW.created_at := coalesce(NEW.created_at, now());
  -- mapping.md: the account is created with the link, unless it exists.
  INSERT INTO public.accounts (id, status, onboarding_state, created_at, updated_at)
  VALUES (NEW.account_id, 'active', '{}'::jsonb, NEW.created_at, NEW.created_at)
  ON CONFLICT (id) DO NOTHING;
  IF TG_OP = 'INSERT' THEN
    NEW.id := coalesce(NEW.id, gen_random_uuid());
    INSERT INTO public.account_user_links (id, account_id, supabase_user_id, is_primary, linked_at)
    VALUES (NEW.id, NEW.account_id, NEW.user_id, true, NEW.created_at);
  ELSE
    UPDATE public.account_user_links l
       SET account_id = NEW.account_id, supabase_user_id = NEW.user_id, linked_at = NEW.created_at
     WHERE l.id = OLD.id;
    IF NOT FOUND THEN RETURN NULL; END IF;
  END IF;
  RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION compat.account_metadata_write() RETURNS trigger
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
BEGIN
  PERFORM compat.require_switched('account_metadata');
  IF TG_OP = 'DELETE' THEN
    -- mapping.md: deleting the metadata row leaves the account as it is.
    DELETE FROM legacy.account_metadata m WHERE m.account_id = OLD.account_id;
    RETURN CASE WHEN FOUND THEN OLD END;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.account_id IS DISTINCT FROM OLD.account_id THEN
    PERFORM compat.refuse('account_metadata', 'UPDATE of account_id', 'public.accounts');
  END IF;
  IF NEW.status IS NULL OR NEW.status NOT IN ('active', 'suspended', 'deleted') THEN
    PERFORM compat.invalid('account_metadata', 'status', NEW.status, 'active, suspended or deleted');
  END IF;
  NEW.onboarding_state := coalesce(NEW.onboarding_state, '{}'::jsonb);
  NEW.metadata := coalesce(NEW.metadata, '{}'::jsonb);
  NEW.updated_at := coalesce(NEW.updated_at, now());
  INSERT INTO public.accounts AS a (id, status, onboarding_state, created_at, updated_at)
  VALUES (NEW.account_id, NEW.status::public.account_status, NEW.onboarding_state,
          NEW.updated_at, NEW.updated_at)
  ON CONFLICT (id) DO UPDATE
    SET status = EXCLUDED.status, onboarding_state = EXCLUDED.onboarding_state,
        updated_at = greatest(a.updated_at, EXCLUDED.updated_at);
  -- The moved columns are written to the store row too, so that a rollback finds them current.
  IF TG_OP = 'INSERT' THEN
    INSERT INTO legacy.account_metadata (account_id, status, onboarding_state, metadata, updated_at)
    VALUES (NEW.account_id, NEW.status, NEW.onboarding_state, NEW.metadata, NEW.updated_at);
  ELSE
    UPDATE legacy.account_metadata m
       SET status = NEW.status, onboarding_state = NEW.onboarding_state,
           metadata = NEW.metadata, updated_at = NEW.updated_at
     WHERE m.account_id = OLD.account_id;
    IF NOT FOUND THEN RETURN NULL; END IF;
  END IF;
  RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION compat.user_attributes_write() RETURNS trigger
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
DECLARE
  acct uuid;
  prefs jsonb;
BEGIN
  PERFORM compat.require_switched('user_attributes');
  IF TG_OP = 'DELETE' THEN
    -- mapping.md: both rows of the account go.
    DELETE FROM public.account_settings s WHERE s.account_id = OLD.account_id;
    DELETE FROM public.account_profiles p WHERE p.account_id = OLD.account_id;
    RETURN CASE WHEN FOUND THEN OLD END;
  END IF;
  IF TG_OP = 'UPDATE' AND (NEW.user_id, NEW.account_id) IS DISTINCT FROM (OLD.user_id, OLD.account_id) THEN
    PERFORM compat.refuse('user_attributes', 'UPDATE of user_id or account_id', 'public.account_profiles and public.account_settings');
  END IF;
  IF NEW.age_range IS NOT NULL AND NEW.age_range NOT IN ('18-24', '25-34', '35-44', '45-54', '55-64', '65+') THEN
    PERFORM compat.invalid('user_attributes', 'age_range', NEW.age_range, '18-24, 25-34, 35-44, 45-54, 55-64 or 65+');
  END IF;
  prefs := coalesce(NEW.preferences, '{}'::jsonb);
  IF jsonb_typeof(prefs) <> 'object'
     OR coalesce(jsonb_typeof(prefs -> 'notifications'), 'object') <> 'object'
     OR coalesce(jsonb_typeof(prefs -> 'feature_flags'), 'object') <> 'object' THEN
    PERFORM compat.invalid('user_attributes', 'preferences', prefs::text,
                           'an object whose notifications and feature_flags are objects');
  END IF;
  NEW.preferences := prefs;
  NEW.updated_at := coalesce(NEW.updated_at, now());
  IF TG_OP = 'INSERT' THEN
    acct := compat.account_of('user_attributes', NEW.user_id, NEW.account_id);
    IF EXISTS (SELECT 1 FROM public.account_profiles p WHERE p.account_id = acct) THEN
      RAISE EXCEPTION 'user_attributes: the account % of user % already has its row', acct, NEW.user_id
        USING ERRCODE = 'unique_violation';
    END IF;
  ELSE
    acct := OLD.account_id;
  END IF;
  INSERT INTO public.account_profiles AS p
    (account_id, display_name, locale, timezone, country, age_range, travel_style, updated_at)
  VALUES (acct, NEW.display_name, NEW.locale, NEW.timezone, NEW.country,
          NEW.age_range::public.age_range, NEW.travel_style, NEW.updated_at)
  ON CONFLICT (account_id) DO UPDATE
    SET display_name = EXCLUDED.display_name, locale = EXCLUDED.locale,
        timezone = EXCLUDED.timezone, country = EXCLUDED.country,
        age_range = EXCLUDED.age_range, travel_style = EXCLUDED.travel_style,
        updated_at = EXCLUDED.updated_at;
  INSERT INTO public.account_settings AS s (account_id, notifications, feature_flags, preferences, updated_at)
  VALUES (acct, coalesce(prefs -> 'notifications', '{}'::jsonb),
          coalesce(prefs -> 'feature_flags', '{}'::jsonb),
          prefs - 'notifications' - 'feature_flags', NEW.updated_at)
  ON CONFLICT (account_id) DO UPDATE
    SET notifications = EXCLUDED.notifications, feature_flags = EXCLUDED.feature_flags,
        preferences = EXCLUDED.preferences, updated_at = EXCLUDED.updated_at;
  NEW.account_id := acct;
  RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION compat.ai_suggestions_write() RETURNS trigger
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
DECLARE
  trig public.recommendation_trigger;
  st public.recommendation_status;
BEGIN
  PERFORM compat.require_switched('ai_suggestions');
  IF TG_OP = 'DELETE' THEN
    -- mapping.md: the run and its items (ON DELETE CASCADE).
    DELETE FROM public.recommendation_runs r WHERE r.id = OLD.id;
    RETURN CASE WHEN FOUND THEN OLD END;
  END IF;
  IF TG_OP = 'UPDATE' AND (NEW.id, NEW.user_id, NEW.account_id) IS DISTINCT FROM (OLD.id, OLD.user_id, OLD.account_id) THEN
    PERFORM compat.refuse('ai_suggestions', 'UPDATE of id, user_id or account_id', 'public.recommendation_runs');
  END IF;
  IF NEW.source IS NULL OR NEW.source NOT IN ('quiz', 'chat', 'manual', 'cron') THEN
    PERFORM compat.invalid('ai_suggestions', 'source', NEW.source, 'quiz, chat, manual or cron');
  END IF;
  trig := (CASE NEW.source WHEN 'quiz' THEN 'quiz_result' WHEN 'chat' THEN 'chat_prompt'
                           ELSE NEW.source END)::public.recommendation_trigger;
  IF NEW.status IS NULL OR NEW.status NOT IN ('pending', 'completed', 'failed') THEN
    PERFORM compat.invalid('ai_suggestions', 'status', NEW.status, 'pending, completed or failed');
  END IF;
  st := NEW.status::public.recommendation_status;
  NEW.prompt := coalesce(NEW.prompt, '{}'::jsonb);
  NEW.model_params := coalesce(NEW.model_params, '{}'::jsonb);
  NEW.suggestions := coalesce(NEW.suggestions, '[]'::jsonb);
  NEW.created_at := coalesce(NEW.created_at, now());
  IF jsonb_typeof(NEW.suggestions) <> 'array'
     OR EXISTS (SELECT 1 FROM jsonb_array_elements(NEW.suggestions) e(elem)
                 WHERE jsonb_typeof(e.elem) <> 'object'
                    OR jsonb_typeof(e.elem -> 'slug') IS DISTINCT FROM 'string'
                    OR jsonb_typeof(e.elem -> 'features') <> 'object') THEN
    PERFORM compat.invalid('ai_suggestions', 'suggestions', left(NEW.suggestions::text, 200),
                           'an array of objects with a string slug (and an object features)');
  END IF;

  IF TG_OP = 'INSERT' THEN
    NEW.account_id := compat.account_of('ai_suggestions', NEW.user_id, NEW.account_id);
    NEW.id := coalesce(NEW.id, gen_random_uuid());
    INSERT INTO public.recommendation_runs
      (id, account_id, trigger, input_parameters, model_metadata, status, created_at)
    VALUES (NEW.id, NEW.account_id, trig, NEW.prompt,
            jsonb_build_object('model', NEW.model, 'params', NEW.model_params), st, NEW.created_at);
  ELSE
    UPDATE public.recommendation_runs r
       SET trigger = trig, input_parameters = NEW.prompt,
           model_metadata = jsonb_build_object('model', NEW.model, 'params', NEW.model_params),
           status = st, created_at = NEW.created_at
     WHERE r.id = OLD.id;
    IF NOT FOUND THEN RETURN NULL; END IF;
  END IF;

  IF TG_OP = 'INSERT' OR NEW.suggestions IS DISTINCT FROM OLD.suggestions THEN
    -- mapping.md: items 1..n upserted keeping their outcome columns, items past n removed. By
    -- position: an item keeps its id (and outcome) when its element changes.
    INSERT INTO public.recommendation_items AS it
      (id, run_id, activity_id, activity_slug, ranking_features, position)
    SELECT compat.v5('ai_suggestions:' || NEW.id::text || ':' || e.i::text), NEW.id,
           compat.activity_id_of(e.elem ->> 'slug'), e.elem ->> 'slug',
           compat.ranking_features(e.elem), e.i::integer
      FROM jsonb_array_elements(NEW.suggestions) WITH ORDINALITY AS e(elem, i)
    ON CONFLICT (run_id, position) DO UPDATE
      SET activity_id = EXCLUDED.activity_id, activity_slug = EXCLUDED.activity_slug,
          ranking_features = EXCLUDED.ranking_features;
    DELETE FROM public.recommendation_items it
     WHERE it.run_id = NEW.id AND it.position > jsonb_array_length(NEW.suggestions);
    IF TG_OP = 'UPDATE' THEN
      PERFORM compat.recompute_outcomes(NEW.id, NULL);
    END IF;
  END IF;
  RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION compat.activity_feedback_write() RETURNS trigger
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
DECLARE
  itype public.interaction_type;
  meta jsonb;
  src uuid;
  lid bigint;
  kept record;
BEGIN
  PERFORM compat.require_switched('activity_feedback');
  IF TG_OP = 'DELETE' THEN
    DELETE FROM public.activity_interactions i
     USING compat.activity_feedback_ids x
     WHERE x.legacy_id = OLD.id AND i.id = x.id AND i.account_id = OLD.account_id;
    IF NOT FOUND THEN RETURN NULL; END IF;
    IF OLD.suggestion_id IS NOT NULL THEN
      PERFORM compat.recompute_outcomes(OLD.suggestion_id, OLD.activity_slug);
    END IF;
    RETURN OLD;
  END IF;

  IF NEW.feedback_type = 'dislike' AND jsonb_typeof(coalesce(NEW.metadata, '{}'::jsonb)) <> 'object' THEN
    PERFORM compat.invalid('activity_feedback', 'metadata', NEW.metadata::text, 'an object (a dislike is a skip marked in its metadata)');
  END IF;
  meta := CASE WHEN NEW.feedback_type = 'dislike'
               THEN coalesce(NEW.metadata, '{}'::jsonb) || '{"legacy_feedback_type": "dislike"}'::jsonb
               ELSE coalesce(NEW.metadata, '{}'::jsonb) END;

  IF TG_OP = 'UPDATE' THEN
    IF (NEW.id, NEW.user_id, NEW.account_id, NEW.activity_slug, NEW.feedback_type, NEW.suggestion_id, NEW.created_at)
       IS DISTINCT FROM (OLD.id, OLD.user_id, OLD.account_id, OLD.activity_slug, OLD.feedback_type, OLD.suggestion_id, OLD.created_at) THEN
      PERFORM compat.refuse('activity_feedback', 'UPDATE of columns other than score and metadata',
                            'public.activity_interactions');
    END IF;
    UPDATE public.activity_interactions i
       SET score_delta = NEW.score, metadata = meta
      FROM compat.activity_feedback_ids x
     WHERE x.legacy_id = OLD.id AND i.id = x.id AND i.account_id = OLD.account_id;
    RETURN CASE WHEN FOUND THEN NEW END;
  END IF;

  itype := compat.interaction_type_of(NEW.feedback_type);
  IF itype IS NULL THEN
    PERFORM compat.invalid('activity_feedback', 'feedback_type', NEW.feedback_type,
                           'like, dislike, skip, view, save, booked or shared');
  END IF;
  NEW.account_id := compat.account_of('activity_feedback', NEW.user_id, NEW.account_id);
  NEW.user_id := coalesce(NEW.user_id, compat.primary_user(NEW.account_id));
  NEW.metadata := coalesce(NEW.metadata, '{}'::jsonb);
  NEW.created_at := coalesce(NEW.created_at, now());

  IF itype IN ('like', 'bookmark') THEN
    -- The new model keeps one like (bookmark) per account and activity: a repeated one adds
    -- nothing and returns the one that stands for it, whose id a later DELETE (unlike) names.
    SELECT x.legacy_id, i.score_delta, i.metadata, i.created_at, s.source_id INTO kept
      FROM public.activity_interactions i
      JOIN compat.activity_feedback_ids x ON x.id = i.id
      LEFT JOIN public.interaction_sources s ON s.id = i.source_session_id
     WHERE i.account_id = NEW.account_id AND i.activity_slug = NEW.activity_slug
       AND i.interaction_type = itype
     LIMIT 1;
    IF FOUND THEN
      NEW.id := kept.legacy_id;
      NEW.score := kept.score_delta;
      NEW.metadata := kept.metadata;
      NEW.created_at := kept.created_at;
      NEW.suggestion_id := kept.source_id;
      RETURN NEW;
    END IF;
  END IF;

  IF NEW.suggestion_id IS NOT NULL THEN
    -- The legacy FK: the suggestion batch must exist.
    IF NOT EXISTS (SELECT 1 FROM public.recommendation_runs r WHERE r.id = NEW.suggestion_id) THEN
      RAISE EXCEPTION 'activity_feedback: suggestion_id % is not an ai_suggestions row (recommendation_runs)', NEW.suggestion_id
        USING ERRCODE = 'foreign_key_violation';
    END IF;
    src := compat.v5('interaction_sources:recommendation:' || NEW.suggestion_id::text);
    INSERT INTO public.interaction_sources (id, source_type, source_id, context, created_at)
    VALUES (src, 'recommendation', NEW.suggestion_id, '{}'::jsonb, NEW.created_at)
    ON CONFLICT (id) DO NOTHING;
  END IF;

  lid := compat.claim_feedback_id(NEW.id);
  INSERT INTO public.activity_interactions
    (id, account_id, activity_id, activity_slug, interaction_type, source_session_id,
     score_delta, metadata, created_at)
  VALUES (compat.v5('activity_feedback:' || lid::text), NEW.account_id,
          compat.activity_id_of(NEW.activity_slug), NEW.activity_slug, itype, src,
          NEW.score, meta, NEW.created_at)
  ON CONFLICT (account_id, activity_slug, interaction_type)
    WHERE interaction_type IN ('like', 'bookmark') DO NOTHING;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'activity_feedback: a concurrent % of % by account % came first; retry', NEW.feedback_type, NEW.activity_slug, NEW.account_id
      USING ERRCODE = 'serialization_failure';
  END IF;
  IF NEW.suggestion_id IS NOT NULL THEN
    PERFORM compat.recompute_outcomes(NEW.suggestion_id, NEW.activity_slug);
  END IF;
  NEW.id := lid;
  RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION compat.offline_likes_write() RETURNS trigger
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
BEGIN
  PERFORM compat.require_switched('offline_likes');
  IF TG_OP = 'DELETE' THEN
    DELETE FROM public.offline_interactions o
     WHERE o.account_id = OLD.account_id AND o.activity_slug = OLD.activity_slug
       AND o.interaction_type = 'like'
       AND compat.offline_user(o.id, o.account_id, o.activity_slug) = OLD.user_id;
    RETURN CASE WHEN FOUND THEN OLD END;
  END IF;
  NEW.payload := coalesce(NEW.payload, '{}'::jsonb);
  NEW.updated_at := coalesce(NEW.updated_at, now());
  IF TG_OP = 'UPDATE' THEN
    IF (NEW.user_id, NEW.activity_slug, NEW.account_id) IS DISTINCT FROM (OLD.user_id, OLD.activity_slug, OLD.account_id) THEN
      PERFORM compat.refuse('offline_likes', 'UPDATE of user_id, activity_slug or account_id', 'public.offline_interactions');
    END IF;
    UPDATE public.offline_interactions o
       SET payload = NEW.payload, updated_at = NEW.updated_at
     WHERE o.account_id = OLD.account_id AND o.activity_slug = OLD.activity_slug
       AND o.interaction_type = 'like'
       AND compat.offline_user(o.id, o.account_id, o.activity_slug) = OLD.user_id;
    RETURN CASE WHEN FOUND THEN NEW END;
  END IF;
  IF NEW.user_id IS NULL THEN
    RAISE EXCEPTION 'offline_likes: user_id must not be NULL' USING ERRCODE = 'not_null_violation';
  END IF;
  NEW.account_id := compat.account_of('offline_likes', NEW.user_id, NEW.account_id);
  -- The id of mapping.md: a second INSERT of the same (user, slug) collides on it, as the
  -- legacy primary key did.
  INSERT INTO public.offline_interactions (id, account_id, activity_slug, interaction_type, payload, updated_at)
  VALUES (compat.v5('offline_likes:' || NEW.user_id::text || ':' || NEW.activity_slug),
          NEW.account_id, NEW.activity_slug, 'like', NEW.payload, NEW.updated_at);
  RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION compat.chatbot_conversations_write() RETURNS trigger
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
BEGIN
  PERFORM compat.require_switched('chatbot_conversations');
  IF TG_OP = 'DELETE' THEN
    -- mapping.md: the session, its messages and its summary (ON DELETE CASCADE).
    DELETE FROM public.chat_sessions s WHERE s.id = OLD.id;
    RETURN CASE WHEN FOUND THEN OLD END;
  END IF;
  IF TG_OP = 'UPDATE' AND (NEW.id, NEW.user_id, NEW.account_id) IS DISTINCT FROM (OLD.id, OLD.user_id, OLD.account_id) THEN
    PERFORM compat.refuse('chatbot_conversations', 'UPDATE of id, user_id or account_id', 'public.chat_sessions');
  END IF;
  IF NEW.conversation_type IS NULL OR NEW.conversation_type NOT IN ('trip_planning', 'support', 'onboarding') THEN
    PERFORM compat.invalid('chatbot_conversations', 'conversation_type', NEW.conversation_type,
                           'trip_planning, support or onboarding');
  END IF;
  NEW.context := coalesce(NEW.context, '{}'::jsonb);
  NEW.metadata := coalesce(NEW.metadata, '{}'::jsonb);
  NEW.created_at := coalesce(NEW.created_at, now());
  NEW.updated_at := coalesce(NEW.updated_at, now());
  IF TG_OP = 'INSERT' THEN
    NEW.account_id := compat.account_of('chatbot_conversations', NEW.user_id, NEW.account_id);
    NEW.id := coalesce(NEW.id, gen_random_uuid());
    INSERT INTO public.chat_sessions
      (id, account_id, session_type, state, started_at, last_activity_at, closed_at, created_by, metadata)
    VALUES (NEW.id, NEW.account_id, NEW.conversation_type::public.chat_session_type, NEW.context,
            NEW.created_at, NEW.updated_at, NEW.ended_at, NEW.created_by, NEW.metadata);
  ELSE
    UPDATE public.chat_sessions s
       SET session_type = NEW.conversation_type::public.chat_session_type, state = NEW.context,
           started_at = NEW.created_at, last_activity_at = NEW.updated_at,
           closed_at = NEW.ended_at, created_by = NEW.created_by, metadata = NEW.metadata
     WHERE s.id = OLD.id;
    IF NOT FOUND THEN RETURN NULL; END IF;
  END IF;
  RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION compat.chatbot_messages_write() RETURNS trigger
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
DECLARE
  meta jsonb;
  latency integer;
  seq integer;
BEGIN
  PERFORM compat.require_switched('chatbot_messages');
  IF TG_OP = 'DELETE' THEN
    DELETE FROM public.chat_messages m WHERE m.id = OLD.id AND m.session_id = OLD.conversation_id;
    RETURN CASE WHEN FOUND THEN OLD END;
  END IF;
  IF TG_OP = 'UPDATE' AND (NEW.id, NEW.conversation_id) IS DISTINCT FROM (OLD.id, OLD.conversation_id) THEN
    PERFORM compat.refuse('chatbot_messages', 'UPDATE of id or conversation_id', 'public.chat_messages');
  END IF;
  IF NEW.role IS NULL OR NEW.role NOT IN ('user', 'assistant', 'system', 'tool') THEN
    PERFORM compat.invalid('chatbot_messages', 'role', NEW.role, 'user, assistant, system or tool');
  END IF;
  NEW.metadata := coalesce(NEW.metadata, '{}'::jsonb);
  NEW.created_at := coalesce(NEW.created_at, now());
  IF jsonb_typeof(NEW.metadata) <> 'object' THEN
    PERFORM compat.invalid('chatbot_messages', 'metadata', NEW.metadata::text, 'an object');
  END IF;
  -- mapping.md: tool_calls and an integral latency_ms move to their columns.
  latency := compat.latency_of(NEW.metadata);
  meta := NEW.metadata - 'tool_calls';
  IF latency IS NOT NULL THEN meta := meta - 'latency_ms'; END IF;
  IF TG_OP = 'UPDATE' THEN
    -- The sequence stays (mapping.md).
    UPDATE public.chat_messages m
       SET role = NEW.role::public.chat_role, content = NEW.content,
           tool_calls = NEW.metadata -> 'tool_calls', latency_ms = latency, metadata = meta,
           created_at = NEW.created_at
     WHERE m.id = OLD.id AND m.session_id = OLD.conversation_id;
    RETURN CASE WHEN FOUND THEN NEW END;
  END IF;
  -- 1 + the session's highest sequence; the session row lock orders concurrent inserts.
  PERFORM 1 FROM public.chat_sessions s WHERE s.id = NEW.conversation_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'chatbot_messages: conversation % does not exist (no chat_sessions row)', NEW.conversation_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  SELECT coalesce(max(m.sequence), 0) + 1 INTO seq
    FROM public.chat_messages m WHERE m.session_id = NEW.conversation_id;
  NEW.id := coalesce(NEW.id, gen_random_uuid());
  INSERT INTO public.chat_messages
    (id, session_id, role, content, sequence, tool_calls, latency_ms, metadata, created_at)
  VALUES (NEW.id, NEW.conversation_id, NEW.role::public.chat_role, NEW.content, seq,
          NEW.metadata -> 'tool_calls', latency, meta, NEW.created_at);
  RETURN NEW;
END
$fn$;

CREATE OR REPLACE FUNCTION compat.conversation_context_write() RETURNS trigger
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
BEGIN
  PERFORM compat.require_switched('conversation_context');
  IF TG_OP = 'DELETE' THEN
    DELETE FROM public.chat_summaries c WHERE c.session_id = OLD.conversation_id;
    RETURN CASE WHEN FOUND THEN OLD END;
  END IF;
  NEW.updated_at := coalesce(NEW.updated_at, now());
  IF TG_OP = 'UPDATE' THEN
    IF NEW.conversation_id IS DISTINCT FROM OLD.conversation_id THEN
      PERFORM compat.refuse('conversation_context', 'UPDATE of conversation_id', 'public.chat_summaries');
    END IF;
    UPDATE public.chat_summaries c
       SET summary = NEW.summary, last_updated_at = NEW.updated_at
     WHERE c.session_id = OLD.conversation_id;
    RETURN CASE WHEN FOUND THEN NEW END;
  END IF;
  INSERT INTO public.chat_summaries (session_id, summary, last_updated_at)
  VALUES (NEW.conversation_id, NEW.summary, NEW.updated_at);
  RETURN NEW;
END
$fn$;

DO $triggers$
DECLARE
  v text;
BEGIN
  IF compat.switched() THEN
    RETURN;  -- the triggers moved with the views
  END IF;
  FOREACH v IN ARRAY ARRAY['account_linkages', 'account_metadata', 'user_attributes',
                           'ai_suggestions', 'activity_feedback', 'offline_likes',
                           'chatbot_conversations', 'chatbot_messages', 'conversation_context']
  LOOP
    EXECUTE format('CREATE OR REPLACE TRIGGER compat_write INSTEAD OF INSERT OR UPDATE OR DELETE '
                   'ON compat.%I FOR EACH ROW EXECUTE FUNCTION compat.%I()', v, v || '_write');
  END LOOP;
END
$triggers$;

-- ---------------------------------------------------------------------------------------------
-- After the switch: the frozen legacy tables and the change log on the new tables
-- ---------------------------------------------------------------------------------------------

-- BEFORE ... FOR EACH STATEMENT on the eight legacy tables that are history after the switch.
-- compat.back_copy() disables it for its own writes (ALTER TABLE ... DISABLE TRIGGER, in its
-- transaction).
CREATE OR REPLACE FUNCTION compat.legacy_frozen() RETURNS trigger
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
BEGIN
  RAISE EXCEPTION '%.% is frozen since the Phase 2 switch: write public.% (the compatibility view) or the new tables; sql/phase2/rollback.sql brings the table back',
    TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_TABLE_NAME
    USING ERRCODE = 'read_only_sql_transaction';
END
$fn$;

-- AFTER ... FOR EACH STATEMENT with transition tables (new_rows / old_rows) on the new tables:
-- records the legacy key of every changed row in compat.back_copy_pending. SECURITY DEFINER:
-- writers (account holders among them) have no rights on the log; a trigger function cannot be
-- called directly, so this grants nothing else.
CREATE OR REPLACE FUNCTION compat.log_change() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
  AS $fn$
DECLARE
  has_new constant boolean := TG_OP IN ('INSERT', 'UPDATE');
  has_old constant boolean := TG_OP IN ('UPDATE', 'DELETE');
BEGIN
  CASE TG_TABLE_NAME
  WHEN 'accounts' THEN
    IF has_new THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'account_metadata', n.id::text FROM new_rows n ON CONFLICT DO NOTHING;
    END IF;
    IF has_old THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'account_metadata', o.id::text FROM old_rows o ON CONFLICT DO NOTHING;
    END IF;
  WHEN 'account_user_links' THEN
    -- a link is the linkage itself, and the user of the account's user_attributes row
    IF has_new THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT k.t, k.key FROM new_rows n,
             LATERAL (VALUES ('account_linkages', n.id::text), ('user_attributes', n.account_id::text)) k(t, key)
      ON CONFLICT DO NOTHING;
    END IF;
    IF has_old THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT k.t, k.key FROM old_rows o,
             LATERAL (VALUES ('account_linkages', o.id::text), ('user_attributes', o.account_id::text)) k(t, key)
      ON CONFLICT DO NOTHING;
    END IF;
  WHEN 'account_profiles', 'account_settings' THEN
    IF has_new THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'user_attributes', n.account_id::text FROM new_rows n ON CONFLICT DO NOTHING;
    END IF;
    IF has_old THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'user_attributes', o.account_id::text FROM old_rows o ON CONFLICT DO NOTHING;
    END IF;
  WHEN 'activity_interactions' THEN
    IF TG_OP = 'INSERT' THEN
      -- Rows the application created: give them a legacy id (rows of the view have one).
      INSERT INTO compat.activity_feedback_map (id, legacy_id)
      SELECT n.id, nextval(pg_catalog.pg_get_serial_sequence('legacy.activity_feedback', 'id')::regclass)
        FROM (SELECT DISTINCT n0.id FROM new_rows n0) n
       WHERE NOT EXISTS (SELECT 1 FROM compat.activity_feedback_ids x WHERE x.id = n.id)
      ON CONFLICT DO NOTHING;
    END IF;
    IF has_new THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'activity_feedback', x.legacy_id::text
        FROM new_rows n JOIN compat.activity_feedback_ids x ON x.id = n.id
      ON CONFLICT DO NOTHING;
    END IF;
    IF has_old THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'activity_feedback', x.legacy_id::text
        FROM old_rows o JOIN compat.activity_feedback_ids x ON x.id = o.id
      ON CONFLICT DO NOTHING;
    END IF;
  WHEN 'recommendation_runs' THEN
    IF has_new THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'ai_suggestions', n.id::text FROM new_rows n ON CONFLICT DO NOTHING;
    END IF;
    IF has_old THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'ai_suggestions', o.id::text FROM old_rows o ON CONFLICT DO NOTHING;
    END IF;
  WHEN 'recommendation_items' THEN
    -- Outcome updates (presented_at, ... liked) do not change the legacy row: not logged.
    IF has_new THEN
      INSERT INTO compat.rekey_runs (run_id)
      SELECT DISTINCT n.run_id FROM new_rows n
       WHERE n.id <> compat.v5('ai_suggestions:' || n.run_id::text || ':' || n.position::text)
      ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP = 'INSERT' THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'ai_suggestions', n.run_id::text FROM new_rows n ON CONFLICT DO NOTHING;
    ELSIF TG_OP = 'DELETE' THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'ai_suggestions', o.run_id::text FROM old_rows o ON CONFLICT DO NOTHING;
    ELSE
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'ai_suggestions', c.run_id::text
        FROM (SELECT n.id, n.run_id, n.position, n.activity_slug, n.ranking_features FROM new_rows n
              EXCEPT
              SELECT o.id, o.run_id, o.position, o.activity_slug, o.ranking_features FROM old_rows o) c
      ON CONFLICT DO NOTHING;
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'ai_suggestions', c.run_id::text
        FROM (SELECT o.id, o.run_id, o.position, o.activity_slug, o.ranking_features FROM old_rows o
              EXCEPT
              SELECT n.id, n.run_id, n.position, n.activity_slug, n.ranking_features FROM new_rows n) c
      ON CONFLICT DO NOTHING;
    END IF;
  WHEN 'offline_interactions' THEN
    IF has_new THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'offline_likes', n.account_id::text || ':' || n.activity_slug FROM new_rows n
      ON CONFLICT DO NOTHING;
    END IF;
    IF has_old THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'offline_likes', o.account_id::text || ':' || o.activity_slug FROM old_rows o
      ON CONFLICT DO NOTHING;
    END IF;
  WHEN 'chat_sessions' THEN
    IF has_new THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'chatbot_conversations', n.id::text FROM new_rows n ON CONFLICT DO NOTHING;
    END IF;
    IF has_old THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'chatbot_conversations', o.id::text FROM old_rows o ON CONFLICT DO NOTHING;
    END IF;
  WHEN 'chat_messages' THEN
    IF has_new THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'chatbot_messages', n.id::text FROM new_rows n ON CONFLICT DO NOTHING;
    END IF;
    IF has_old THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'chatbot_messages', o.id::text FROM old_rows o ON CONFLICT DO NOTHING;
    END IF;
  WHEN 'chat_summaries' THEN
    IF has_new THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'conversation_context', n.session_id::text FROM new_rows n ON CONFLICT DO NOTHING;
    END IF;
    IF has_old THEN
      INSERT INTO compat.back_copy_pending (legacy_table, key)
      SELECT DISTINCT 'conversation_context', o.session_id::text FROM old_rows o ON CONFLICT DO NOTHING;
    END IF;
  END CASE;
  RETURN NULL;
END
$fn$;

-- The new tables the views write, whose changes the log records.
CREATE OR REPLACE FUNCTION compat.logged_tables() RETURNS text[]
  LANGUAGE sql IMMUTABLE
  AS $fn$
    SELECT ARRAY['accounts', 'account_user_links', 'account_profiles', 'account_settings',
                 'activity_interactions', 'recommendation_runs', 'recommendation_items',
                 'offline_interactions', 'chat_sessions', 'chat_messages', 'chat_summaries']
  $fn$;

-- The nine legacy tables, parents before children (the order of the back-copy).
CREATE OR REPLACE FUNCTION compat.legacy_tables() RETURNS text[]
  LANGUAGE sql IMMUTABLE
  AS $fn$
    SELECT ARRAY['account_linkages', 'account_metadata', 'user_attributes', 'ai_suggestions',
                 'activity_feedback', 'offline_likes', 'chatbot_conversations',
                 'chatbot_messages', 'conversation_context']
  $fn$;

-- ---------------------------------------------------------------------------------------------
-- The bridge's position, as admin::read_positions() reads it (include/dualwrite/admin/bridge.hpp)
-- ---------------------------------------------------------------------------------------------

-- What the bridge has applied, as admin::read_positions() defines it: the highest of its origin
-- (the end of the last source transaction applied, moved with the data), the position its
-- walsender reports (walEnd while it is idle) and the slot's confirmed position. NULL fields
-- when unknown (the slot's row missing; no right to read origins).
CREATE OR REPLACE FUNCTION compat.bridge_position(slot name, origin text,
                                                  OUT slot_exists boolean, OUT active boolean,
                                                  OUT applied pg_lsn, OUT origin_lsn pg_lsn)
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
DECLARE
  s record;
BEGIN
  SELECT rs.active, rs.confirmed_flush_lsn, r.replay_lsn INTO s
    FROM pg_catalog.pg_replication_slots rs
    LEFT JOIN pg_catalog.pg_stat_replication r ON r.pid = rs.active_pid
   WHERE rs.slot_name = bridge_position.slot AND rs.database = current_database();
  slot_exists := FOUND;
  active := coalesce(s.active, false);
  IF origin IS NOT NULL THEN
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_catalog.pg_replication_origin o WHERE o.roname = origin) THEN
        origin_lsn := pg_catalog.pg_replication_origin_progress(origin, true);
      END IF;
    EXCEPTION WHEN insufficient_privilege THEN
      origin_lsn := NULL;  -- the slot and the walsender still tell
    END;
  END IF;
  applied := greatest(origin_lsn, s.replay_lsn, s.confirmed_flush_lsn);
END
$fn$;

-- A temporary copy of the bridge's slot, advanced to what the bridge has applied: the switch
-- peeks it for legacy transactions the bridge has not applied yet, without touching the bridge's
-- own slot (in use, or to be resumed). Made before the legacy tables are locked (a logical slot
-- cannot be created by a transaction that has written, and locking writes WAL), and advanced
-- then, so that the peeks under the lock decode only the last moments of WAL. NULL when the
-- caller lacks the REPLICATION attribute: the switch then waits on the reported positions.
-- Temporary: dropped by the switch, or with the session or on error whatever happens.
CREATE OR REPLACE FUNCTION compat.bridge_probe(slot name, origin text) RETURNS name
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
DECLARE
  probe constant name := left(slot, 40) || '_switch_' || pg_catalog.pg_backend_pid();
  p record;
BEGIN
  p := compat.bridge_position(slot, origin);
  IF NOT p.slot_exists THEN
    RAISE EXCEPTION 'Phase 2 switch refused: no replication slot % in this database, so nothing says the new tables hold every legacy write', slot
      USING HINT = 'If the bridge was removed only after legacy writes had stopped, run the switch with slot => NULL (switch.sql: -v slot=).',
            ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  -- A probe this session left behind (a refused switch whose caller caught the error).
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots r WHERE r.slot_name = probe AND r.temporary) THEN
    PERFORM pg_catalog.pg_drop_replication_slot(probe);
  END IF;
  BEGIN
    PERFORM pg_catalog.pg_copy_logical_replication_slot(slot, probe, true);
  EXCEPTION WHEN insufficient_privilege THEN
    RETURN NULL;
  END;
  IF p.applied IS NOT NULL AND p.applied <= pg_catalog.pg_current_wal_flush_lsn() THEN
    PERFORM pg_catalog.pg_replication_slot_advance(probe, p.applied);
  END IF;
  RETURN probe;
END
$fn$;

-- The end of the last WAL record inserted: pg_current_wal_insert_lsn(), except right after a
-- page boundary, where the insert position already counts the next page's header (24 bytes, 40
-- at a segment start) that a decoder reading the WAL never gets past until another record comes.
CREATE OR REPLACE FUNCTION compat.wal_insert_end() RETURNS pg_lsn
  LANGUAGE sql VOLATILE SET search_path = ''
  AS $fn$
    SELECT CASE WHEN (i.pos - '0/0'::pg_lsn) % s.seg = 40 THEN i.pos - 40
                WHEN (i.pos - '0/0'::pg_lsn) % s.blk = 24 THEN i.pos - 24
                ELSE i.pos END
      FROM (SELECT pg_catalog.pg_current_wal_insert_lsn() AS pos) i,
           (SELECT pg_catalog.current_setting('wal_block_size')::numeric AS blk,
                   pg_catalog.pg_size_bytes(pg_catalog.current_setting('wal_segment_size'))::numeric AS seg) s
  $fn$;

-- Waits until the bridge of `slot` has applied every legacy transaction committed before now
-- (the caller holds the legacy tables locked, so none can follow); returns the fence, the end of
-- the WAL inserted so far (past every commit record, asynchronous ones included), once flushed
-- (decoders read flushed WAL only).
--   With a probe (compat.bridge_probe): the probe is peeked up to the fence for commit messages
--   of the publication past what the bridge has applied (the origin holds the end of each applied
--   transaction, the commit message's position is that end). None: done, at once. Some, and the
--   bridge running: it is still applying them; peek again until `wait` runs out. Some, and the
--   bridge stopped: it will not catch up; refuse.
--   Without one: a running bridge must report a position at or past the fence (an idle bridge
--   reports walEnd on its status interval, so this may take a few seconds); a stopped one cannot
--   be inspected: refuse.
-- Not a WAL record of its own (pg_logical_emit_message) as the fence: the bridge counts a
-- delivered non-transactional message as work in progress and reports no progress past it until
-- the next transaction, which the locked tables forbid.
-- Raises when that fails (the caller's transaction, locks included, then rolls back).
CREATE OR REPLACE FUNCTION compat.wait_for_bridge(slot name, probe name, origin text, wait interval)
  RETURNS pg_lsn
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
DECLARE
  fence constant pg_lsn := compat.wal_insert_end();
  deadline constant timestamptz := clock_timestamp() + wait;
  p record;
  pub text := 'dualwrite_legacy';
  pending bigint;
BEGIN
  IF to_regclass('dualwrite.bootstrap') IS NOT NULL THEN
    SELECT b.publication INTO pub FROM dualwrite.bootstrap b WHERE b.slot = wait_for_bridge.slot;
    pub := coalesce(pub, 'dualwrite_legacy');
  END IF;
  WHILE pg_catalog.pg_current_wal_flush_lsn() < fence LOOP
    PERFORM pg_catalog.pg_sleep(0.01);
  END LOOP;
  LOOP
    p := compat.bridge_position(slot, origin);
    IF NOT p.slot_exists THEN
      RAISE EXCEPTION 'Phase 2 switch refused: the bridge''s slot % disappeared during the switch', slot
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF probe IS NOT NULL THEN
      -- pgoutput: a commit message is 'C'; its position is the transaction's end.
      SELECT count(*) INTO pending
        FROM pg_catalog.pg_logical_slot_peek_binary_changes(probe, fence, NULL,
               'proto_version', '1', 'publication_names', pub) c
       WHERE pg_catalog.get_byte(c.data, 0) = 67 AND c.lsn > coalesce(p.applied, '0/0'::pg_lsn);
      EXIT WHEN pending = 0;
      IF NOT p.active THEN
        RAISE EXCEPTION 'Phase 2 switch refused: the bridge is stopped and slot % still holds % legacy transaction(s) it has not applied (applied up to %, legacy tables locked at %)', slot, pending, p.applied, fence
          USING HINT = 'Start the bridge (systemctl start dualwrite), let it catch up (dualwrite status), and rerun. Nothing was changed.',
                ERRCODE = 'object_not_in_prerequisite_state';
      END IF;
    ELSE
      EXIT WHEN p.active AND p.applied >= fence;
      IF NOT p.active THEN
        RAISE EXCEPTION 'Phase 2 switch refused: the bridge is stopped and its slot % cannot be inspected without the REPLICATION attribute', slot
          USING HINT = 'Start the bridge (systemctl start dualwrite) and rerun: the switch then waits for it to catch up. Nothing was changed.',
                ERRCODE = 'object_not_in_prerequisite_state';
      END IF;
    END IF;
    IF clock_timestamp() >= deadline THEN
      RAISE EXCEPTION 'Phase 2 switch refused: the bridge has applied up to %, but the legacy tables were written up to % (waited %)', p.applied, fence, wait
        USING HINT = 'Check `dualwrite status` (lag, errors), let it catch up, and rerun. Nothing was changed.',
              ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM pg_catalog.pg_sleep(0.1);
  END LOOP;
  RETURN fence;
END
$fn$;

-- ---------------------------------------------------------------------------------------------
-- The switch
-- ---------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION compat.switch(slot name DEFAULT 'dualwrite', origin text DEFAULT 'dualwrite',
                                         wait interval DEFAULT '10 seconds',
                                         lock_wait interval DEFAULT '5 seconds')
  RETURNS text
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
DECLARE
  t text;
  fence pg_lsn;
  letters bigint;
  g record;
  probe name;
  idx regclass := to_regclass('public.activity_feedback_compat_interaction_id');
BEGIN
  IF compat.switched() THEN
    RAISE NOTICE 'Phase 2 is already switched: nothing to do';
    RETURN 'already switched';
  END IF;
  FOREACH t IN ARRAY compat.legacy_tables() LOOP
    IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = to_regclass('public.' || t)) IS DISTINCT FROM 'r' THEN
      RAISE EXCEPTION 'Phase 2 switch refused: public.% is not the legacy table', t
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = to_regclass('compat.' || t)) IS DISTINCT FROM 'v' THEN
      RAISE EXCEPTION 'Phase 2 switch refused: compat.% is missing (apply sql/phase2 with scripts/migrate first)', t
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF to_regclass('legacy.' || t) IS NOT NULL THEN
      RAISE EXCEPTION 'Phase 2 switch refused: legacy.% already exists', t
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
  END LOOP;
  IF idx IS NULL OR NOT (SELECT i.indisvalid FROM pg_catalog.pg_index i WHERE i.indexrelid = idx) THEN
    RAISE EXCEPTION 'Phase 2 switch refused: index public.activity_feedback_compat_interaction_id is missing or invalid (apply sql/phase2/20261125800100_phase2_feedback_ids_index.sql)'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;

  -- Before anything is locked or written: a temporary copy of the bridge's slot to look ahead of
  -- it with (compat.bridge_probe).
  IF slot IS NOT NULL THEN
    probe := compat.bridge_probe(slot, origin);
  END IF;

  -- Steps 1 to 3 may refuse: the probe must not outlive a refusal (slots are not transactional,
  -- and a caller that catches the error keeps its session, and with it a temporary slot).
  BEGIN
    -- 1. No legacy write can commit from here on. lock_timeout: fail fast rather than queue every
    -- client behind a long transaction.
    PERFORM pg_catalog.set_config('lock_timeout', (extract(epoch FROM lock_wait) * 1000)::bigint::text, true);
    BEGIN
      LOCK TABLE public.account_linkages, public.account_metadata, public.user_attributes,
                 public.ai_suggestions, public.activity_feedback, public.offline_likes,
                 public.chatbot_conversations, public.chatbot_messages, public.conversation_context
        IN ACCESS EXCLUSIVE MODE;
    EXCEPTION WHEN lock_not_available THEN
      RAISE EXCEPTION 'Phase 2 switch refused: the legacy tables could not be locked within % (a transaction holds them; see pg_locks)', lock_wait
        USING HINT = 'Rerun; nothing was changed.', ERRCODE = 'lock_not_available';
    END;
    PERFORM pg_catalog.set_config('lock_timeout', '0', true);

    -- 2. Everything committed before the lock is in the new tables.
    IF slot IS NOT NULL THEN
      fence := compat.wait_for_bridge(slot, probe, origin, wait);
      IF probe IS NOT NULL THEN
        PERFORM pg_catalog.pg_drop_replication_slot(probe);
      END IF;
    ELSE
      fence := compat.wal_insert_end();
    END IF;

    -- 3. Nor are changes missing as dead letters.
    IF to_regclass('dualwrite.dead_letters') IS NOT NULL THEN
      SELECT count(*) INTO letters FROM dualwrite.dead_letters d WHERE d.resolved_at IS NULL;
      IF letters > 0 THEN
        RAISE EXCEPTION 'Phase 2 switch refused: % unresolved dead letter(s): their legacy changes are not in the new tables, so the views would not show them', letters
          USING HINT = 'dualwrite dead-letters list; retry or resolve them, then rerun.',
                ERRCODE = 'object_not_in_prerequisite_state';
      END IF;
    END IF;
  EXCEPTION WHEN OTHERS THEN
    IF probe IS NOT NULL AND EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots r WHERE r.slot_name = probe) THEN
      BEGIN
        PERFORM pg_catalog.pg_drop_replication_slot(probe);
      EXCEPTION WHEN OTHERS THEN
        NULL;  -- temporary: it goes with the session; the refusal is what the caller must see
      END;
    END IF;
    RAISE;
  END;

  -- 4. Names: tables out, views in; the views get the tables' grants.
  FOREACH t IN ARRAY compat.legacy_tables() LOOP
    EXECUTE format('ALTER TABLE public.%I SET SCHEMA legacy', t);
    EXECUTE format('ALTER VIEW compat.%I SET SCHEMA public', t);
    FOR g IN SELECT a.privilege_type,
                    CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS grantee
               FROM pg_catalog.pg_class c, LATERAL pg_catalog.aclexplode(c.relacl) a
              WHERE c.oid = format('legacy.%I', t)::regclass
                AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')
                AND a.grantee <> c.relowner
    LOOP
      EXECUTE format('GRANT %s ON public.%I TO %s', g.privilege_type, t, g.grantee);
      IF t = 'activity_feedback' THEN
        EXECUTE format('GRANT SELECT ON compat.activity_feedback_ids TO %s', g.grantee);
      END IF;
    END LOOP;
  END LOOP;

  -- 5. The legacy tables are history (account_metadata stays the JSON store); the log starts.
  FOREACH t IN ARRAY compat.legacy_tables() LOOP
    CONTINUE WHEN t = 'account_metadata';
    EXECUTE format('CREATE TRIGGER compat_frozen BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE '
                   'ON legacy.%I FOR EACH STATEMENT EXECUTE FUNCTION compat.legacy_frozen()', t);
  END LOOP;
  FOREACH t IN ARRAY compat.logged_tables() LOOP
    EXECUTE format('CREATE TRIGGER compat_log_insert AFTER INSERT ON public.%I '
                   'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION compat.log_change()', t);
    EXECUTE format('CREATE TRIGGER compat_log_update AFTER UPDATE ON public.%I '
                   'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION compat.log_change()', t);
    EXECUTE format('CREATE TRIGGER compat_log_delete AFTER DELETE ON public.%I '
                   'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION compat.log_change()', t);
  END LOOP;

  INSERT INTO compat.switch_history (action, lsn) VALUES ('switch', fence);
  RETURN format('switched: the legacy names are views over the new tables (legacy writes applied up to %s)', fence);
END
$fn$;

-- ---------------------------------------------------------------------------------------------
-- Back-copy and rollback
-- ---------------------------------------------------------------------------------------------

-- Copies the rows of compat.back_copy_pending from the views (the inverse mapping) into the
-- legacy tables: per key, the legacy rows become what the view shows (deleted when it shows
-- none). Claims its keys first (DELETE ... RETURNING), so it can run while writes go on: a key
-- changed meanwhile is logged again and copied next time. Returns the number of keys copied.
-- A row the legacy schema cannot hold (a second user linked to one account, a user missing from
-- auth.users, ...) makes it fail and change nothing, with the table and the key in the message.
CREATE OR REPLACE FUNCTION compat.back_copy_keys() RETURNS bigint
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
DECLARE
  t text;
  k text[];
  total bigint := 0;
BEGIN
  IF NOT compat.switched() THEN
    RAISE EXCEPTION 'compat.back_copy: Phase 2 is not switched: the legacy tables are live, nothing to copy'
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  FOREACH t IN ARRAY compat.legacy_tables() LOOP
    CONTINUE WHEN t = 'account_metadata';
    EXECUTE format('ALTER TABLE legacy.%I DISABLE TRIGGER compat_frozen', t);
  END LOOP;

  FOREACH t IN ARRAY compat.legacy_tables() LOOP
    WITH claimed AS (
      DELETE FROM compat.back_copy_pending p WHERE p.legacy_table = t RETURNING p.key)
    SELECT array_agg(c.key) INTO k FROM claimed c;
    CONTINUE WHEN k IS NULL;
    total := total + cardinality(k);
    BEGIN
      CASE t
      WHEN 'account_linkages' THEN
        DELETE FROM legacy.account_linkages x
         WHERE x.id = ANY (k::uuid[])
           AND NOT EXISTS (SELECT 1 FROM public.account_linkages v WHERE v.id = x.id);
        INSERT INTO legacy.account_linkages AS x (id, user_id, account_id, created_at)
        SELECT v.id, v.user_id, v.account_id, v.created_at
          FROM public.account_linkages v WHERE v.id = ANY (k::uuid[])
        ON CONFLICT (id) DO UPDATE
          SET user_id = EXCLUDED.user_id, account_id = EXCLUDED.account_id, created_at = EXCLUDED.created_at
          WHERE (x.user_id, x.account_id, x.created_at)
                IS DISTINCT FROM (EXCLUDED.user_id, EXCLUDED.account_id, EXCLUDED.created_at);
      WHEN 'account_metadata' THEN
        -- The store row is live; only the moved columns come back from accounts.
        UPDATE legacy.account_metadata m
           SET status = v.status, onboarding_state = v.onboarding_state
          FROM public.account_metadata v
         WHERE v.account_id = m.account_id AND m.account_id = ANY (k::uuid[])
           AND (m.status, m.onboarding_state) IS DISTINCT FROM (v.status, v.onboarding_state);
      WHEN 'user_attributes' THEN
        -- Per account: the rows of its users (linked now, or in the legacy linkage).
        DELETE FROM legacy.user_attributes x
         WHERE x.user_id IN (SELECT l.supabase_user_id FROM public.account_user_links l WHERE l.account_id = ANY (k::uuid[])
                             UNION SELECT ll.user_id FROM legacy.account_linkages ll WHERE ll.account_id = ANY (k::uuid[]))
           AND NOT EXISTS (SELECT 1 FROM public.user_attributes v WHERE v.user_id = x.user_id);
        INSERT INTO legacy.user_attributes AS x
          (user_id, account_id, display_name, locale, timezone, country, age_range, travel_style, preferences, updated_at)
        SELECT v.user_id, v.account_id, v.display_name, v.locale, v.timezone, v.country, v.age_range,
               v.travel_style, v.preferences, v.updated_at
          FROM public.user_attributes v WHERE v.account_id = ANY (k::uuid[])
        ON CONFLICT (user_id) DO UPDATE
          SET account_id = EXCLUDED.account_id, display_name = EXCLUDED.display_name,
              locale = EXCLUDED.locale, timezone = EXCLUDED.timezone, country = EXCLUDED.country,
              age_range = EXCLUDED.age_range, travel_style = EXCLUDED.travel_style,
              preferences = EXCLUDED.preferences, updated_at = EXCLUDED.updated_at
          WHERE (x.account_id, x.display_name, x.locale, x.timezone, x.country, x.age_range,
                 x.travel_style, x.preferences, x.updated_at)
                IS DISTINCT FROM (EXCLUDED.account_id, EXCLUDED.display_name, EXCLUDED.locale,
                 EXCLUDED.timezone, EXCLUDED.country, EXCLUDED.age_range, EXCLUDED.travel_style,
                 EXCLUDED.preferences, EXCLUDED.updated_at);
      WHEN 'ai_suggestions' THEN
        DELETE FROM legacy.ai_suggestions x
         WHERE x.id = ANY (k::uuid[])
           AND NOT EXISTS (SELECT 1 FROM public.ai_suggestions v WHERE v.id = x.id);
        INSERT INTO legacy.ai_suggestions AS x
          (id, user_id, account_id, source, prompt, model, model_params, suggestions, status, created_at)
        SELECT v.id, v.user_id, v.account_id, v.source, v.prompt, v.model, v.model_params,
               v.suggestions, v.status, v.created_at
          FROM public.ai_suggestions v WHERE v.id = ANY (k::uuid[])
        ON CONFLICT (id) DO UPDATE
          SET user_id = EXCLUDED.user_id, account_id = EXCLUDED.account_id, source = EXCLUDED.source,
              prompt = EXCLUDED.prompt, model = EXCLUDED.model, model_params = EXCLUDED.model_params,
              suggestions = EXCLUDED.suggestions, status = EXCLUDED.status, created_at = EXCLUDED.created_at
          WHERE (x.user_id, x.account_id, x.source, x.prompt, x.model, x.model_params, x.suggestions,
                 x.status, x.created_at)
                IS DISTINCT FROM (EXCLUDED.user_id, EXCLUDED.account_id, EXCLUDED.source,
                 EXCLUDED.prompt, EXCLUDED.model, EXCLUDED.model_params, EXCLUDED.suggestions,
                 EXCLUDED.status, EXCLUDED.created_at);
      WHEN 'activity_feedback' THEN
        -- A like/save deleted since the switch (an unlike) takes along the legacy duplicates the
        -- bridge had merged into it: "liked" in the legacy table means what it means in the view.
        DELETE FROM legacy.activity_feedback x
         WHERE (x.id = ANY (k::bigint[])
                OR x.id IN (SELECT dx.legacy_id
                              FROM legacy.activity_feedback d
                              JOIN dualwrite.merged_interactions mi
                                ON mi.activity_slug = d.activity_slug
                               AND mi.interaction_type = compat.interaction_type_of(d.feedback_type)
                               AND mi.account_id = coalesce(d.account_id,
                                     (SELECT l.account_id FROM public.account_user_links l WHERE l.supabase_user_id = d.user_id))
                              JOIN compat.activity_feedback_ids dx ON dx.id = mi.id
                             WHERE d.id = ANY (k::bigint[]) AND d.feedback_type IN ('like', 'save')
                               AND NOT EXISTS (SELECT 1 FROM public.activity_feedback v WHERE v.id = d.id)))
           AND NOT EXISTS (SELECT 1 FROM public.activity_feedback v WHERE v.id = x.id);
        INSERT INTO legacy.activity_feedback AS x
          (id, user_id, account_id, activity_slug, feedback_type, suggestion_id, score, metadata, created_at)
        SELECT v.id, v.user_id, v.account_id, v.activity_slug, v.feedback_type, v.suggestion_id,
               v.score, v.metadata, v.created_at
          FROM public.activity_feedback v WHERE v.id = ANY (k::bigint[])
        ON CONFLICT (id) DO UPDATE
          SET user_id = EXCLUDED.user_id, account_id = EXCLUDED.account_id,
              activity_slug = EXCLUDED.activity_slug, feedback_type = EXCLUDED.feedback_type,
              suggestion_id = EXCLUDED.suggestion_id, score = EXCLUDED.score,
              metadata = EXCLUDED.metadata, created_at = EXCLUDED.created_at
          WHERE (x.user_id, x.account_id, x.activity_slug, x.feedback_type, x.suggestion_id,
                 x.score, x.metadata, x.created_at)
                IS DISTINCT FROM (EXCLUDED.user_id, EXCLUDED.account_id, EXCLUDED.activity_slug,
                 EXCLUDED.feedback_type, EXCLUDED.suggestion_id, EXCLUDED.score,
                 EXCLUDED.metadata, EXCLUDED.created_at);
      WHEN 'offline_likes' THEN
        -- key "account_id:slug" (a uuid has no colon)
        WITH keys AS (
          SELECT split_part(key, ':', 1)::uuid AS account_id, substr(key, 38) AS slug FROM unnest(k) key)
        DELETE FROM legacy.offline_likes x
         USING keys
         WHERE x.activity_slug = keys.slug
           AND x.user_id IN (SELECT l.supabase_user_id FROM public.account_user_links l WHERE l.account_id = keys.account_id
                             UNION SELECT ll.user_id FROM legacy.account_linkages ll WHERE ll.account_id = keys.account_id)
           AND NOT EXISTS (SELECT 1 FROM public.offline_likes v
                            WHERE v.user_id = x.user_id AND v.activity_slug = x.activity_slug);
        INSERT INTO legacy.offline_likes AS x (user_id, activity_slug, account_id, payload, updated_at)
        SELECT v.user_id, v.activity_slug, v.account_id, v.payload, v.updated_at
          FROM public.offline_likes v
          JOIN (SELECT split_part(key, ':', 1)::uuid AS account_id, substr(key, 38) AS slug
                  FROM unnest(k) key) keys
            ON v.account_id = keys.account_id AND v.activity_slug = keys.slug
        ON CONFLICT (user_id, activity_slug) DO UPDATE
          SET account_id = EXCLUDED.account_id, payload = EXCLUDED.payload, updated_at = EXCLUDED.updated_at
          WHERE (x.account_id, x.payload, x.updated_at)
                IS DISTINCT FROM (EXCLUDED.account_id, EXCLUDED.payload, EXCLUDED.updated_at);
      WHEN 'chatbot_conversations' THEN
        DELETE FROM legacy.chatbot_conversations x
         WHERE x.id = ANY (k::uuid[])
           AND NOT EXISTS (SELECT 1 FROM public.chatbot_conversations v WHERE v.id = x.id);
        INSERT INTO legacy.chatbot_conversations AS x
          (id, user_id, account_id, conversation_type, context, created_by, metadata, created_at, updated_at, ended_at)
        SELECT v.id, v.user_id, v.account_id, v.conversation_type, v.context, v.created_by,
               v.metadata, v.created_at, v.updated_at, v.ended_at
          FROM public.chatbot_conversations v WHERE v.id = ANY (k::uuid[])
        ON CONFLICT (id) DO UPDATE
          SET user_id = EXCLUDED.user_id, account_id = EXCLUDED.account_id,
              conversation_type = EXCLUDED.conversation_type, context = EXCLUDED.context,
              created_by = EXCLUDED.created_by, metadata = EXCLUDED.metadata,
              created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
              ended_at = EXCLUDED.ended_at
          WHERE (x.user_id, x.account_id, x.conversation_type, x.context, x.created_by,
                 x.metadata, x.created_at, x.updated_at, x.ended_at)
                IS DISTINCT FROM (EXCLUDED.user_id, EXCLUDED.account_id,
                 EXCLUDED.conversation_type, EXCLUDED.context, EXCLUDED.created_by,
                 EXCLUDED.metadata, EXCLUDED.created_at, EXCLUDED.updated_at, EXCLUDED.ended_at);
      WHEN 'chatbot_messages' THEN
        DELETE FROM legacy.chatbot_messages x
         WHERE x.id = ANY (k::uuid[])
           AND NOT EXISTS (SELECT 1 FROM public.chatbot_messages v WHERE v.id = x.id);
        INSERT INTO legacy.chatbot_messages AS x (id, conversation_id, role, content, metadata, created_at)
        SELECT v.id, v.conversation_id, v.role, v.content, v.metadata, v.created_at
          FROM public.chatbot_messages v WHERE v.id = ANY (k::uuid[])
        ON CONFLICT (id) DO UPDATE
          SET conversation_id = EXCLUDED.conversation_id, role = EXCLUDED.role,
              content = EXCLUDED.content, metadata = EXCLUDED.metadata, created_at = EXCLUDED.created_at
          WHERE (x.conversation_id, x.role, x.content, x.metadata, x.created_at)
                IS DISTINCT FROM (EXCLUDED.conversation_id, EXCLUDED.role, EXCLUDED.content,
                 EXCLUDED.metadata, EXCLUDED.created_at);
      WHEN 'conversation_context' THEN
        DELETE FROM legacy.conversation_context x
         WHERE x.conversation_id = ANY (k::uuid[])
           AND NOT EXISTS (SELECT 1 FROM public.conversation_context v WHERE v.conversation_id = x.conversation_id);
        INSERT INTO legacy.conversation_context AS x (conversation_id, summary, updated_at)
        SELECT v.conversation_id, v.summary, v.updated_at
          FROM public.conversation_context v WHERE v.conversation_id = ANY (k::uuid[])
        ON CONFLICT (conversation_id) DO UPDATE
          SET summary = EXCLUDED.summary, updated_at = EXCLUDED.updated_at
          WHERE (x.summary, x.updated_at) IS DISTINCT FROM (EXCLUDED.summary, EXCLUDED.updated_at);
      END CASE;
    EXCEPTION WHEN integrity_constraint_violation THEN
      RAISE EXCEPTION 'back-copy into legacy.% failed: % (a row the legacy schema cannot hold; keys: %)',
        t, SQLERRM, left(array_to_string(k, ', '), 500)
        USING HINT = 'Fix or remove that row in the new tables (or accept its loss on rollback) and rerun; nothing was changed.',
              ERRCODE = SQLSTATE;
    END;
  END LOOP;

  FOREACH t IN ARRAY compat.legacy_tables() LOOP
    CONTINUE WHEN t = 'account_metadata';
    EXECUTE format('ALTER TABLE legacy.%I ENABLE TRIGGER compat_frozen', t);
  END LOOP;
  RETURN total;
END
$fn$;

-- What an operator runs while switched, to keep the legacy tables close to the new ones (and the
-- rollback short). Online: writers are not blocked beyond row locks.
CREATE OR REPLACE FUNCTION compat.back_copy() RETURNS bigint
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
DECLARE
  n bigint;
BEGIN
  n := compat.back_copy_keys();
  INSERT INTO compat.switch_history (action, lsn, rows_copied)
  VALUES ('back_copy', pg_catalog.pg_current_wal_insert_lsn(), n);
  RETURN n;
END
$fn$;

-- The reverse of compat.switch(), in one transaction: lock the views (PostgreSQL locks the new
-- tables under them too, so no write can slip between copy and move), copy back what changed,
-- give rows the application created with its own ids the ids mapping.md derives (so that legacy
-- changes translated by a resumed bridge find them), move views and tables back.
CREATE OR REPLACE FUNCTION compat.rollback(lock_wait interval DEFAULT '5 seconds') RETURNS text
  LANGUAGE plpgsql SET search_path = ''
  AS $fn$
DECLARE
  t text;
  g record;
  n bigint;
BEGIN
  IF NOT compat.switched() THEN
    RAISE NOTICE 'Phase 2 is not switched: nothing to roll back';
    RETURN 'not switched';
  END IF;
  PERFORM pg_catalog.set_config('lock_timeout', (extract(epoch FROM lock_wait) * 1000)::bigint::text, true);
  BEGIN
    LOCK TABLE public.account_linkages, public.account_metadata, public.user_attributes,
               public.ai_suggestions, public.activity_feedback, public.offline_likes,
               public.chatbot_conversations, public.chatbot_messages, public.conversation_context
      IN ACCESS EXCLUSIVE MODE;
  EXCEPTION WHEN lock_not_available THEN
    RAISE EXCEPTION 'Phase 2 rollback refused: the views and the new tables could not be locked within % (see pg_locks)', lock_wait
      USING HINT = 'Rerun; nothing was changed.', ERRCODE = 'lock_not_available';
  END;
  PERFORM pg_catalog.set_config('lock_timeout', '0', true);

  n := compat.back_copy_keys();
  -- The log has served; the re-keying below is not a change to copy back.
  FOREACH t IN ARRAY compat.logged_tables() LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS compat_log_insert ON public.%I', t);
    EXECUTE format('DROP TRIGGER IF EXISTS compat_log_update ON public.%I', t);
    EXECUTE format('DROP TRIGGER IF EXISTS compat_log_delete ON public.%I', t);
  END LOOP;

  -- Derived ids (mapping.md rule 1) for what the application inserted with ids of its own.
  UPDATE public.activity_interactions i
     SET id = compat.v5('activity_feedback:' || m.legacy_id::text)
    FROM compat.activity_feedback_map m
   WHERE i.id = m.id AND m.id <> compat.v5('activity_feedback:' || m.legacy_id::text);
  -- (two steps: positions may have been reordered, and ids are checked row by row)
  UPDATE public.recommendation_items it SET id = gen_random_uuid()
   WHERE it.run_id IN (SELECT r.run_id FROM compat.rekey_runs r)
     AND it.id <> compat.v5('ai_suggestions:' || it.run_id::text || ':' || it.position::text);
  UPDATE public.recommendation_items it
     SET id = compat.v5('ai_suggestions:' || it.run_id::text || ':' || it.position::text)
   WHERE it.run_id IN (SELECT r.run_id FROM compat.rekey_runs r)
     AND it.id <> compat.v5('ai_suggestions:' || it.run_id::text || ':' || it.position::text);
  UPDATE public.offline_interactions o
     SET id = compat.v5('offline_likes:' || u.user_id::text || ':' || o.activity_slug)
    FROM (SELECT o2.id, compat.offline_user(o2.id, o2.account_id, o2.activity_slug) AS user_id
            FROM public.offline_interactions o2 WHERE o2.interaction_type = 'like') u
   WHERE u.id = o.id AND u.user_id IS NOT NULL
     AND o.id <> compat.v5('offline_likes:' || u.user_id::text || ':' || o.activity_slug);

  FOREACH t IN ARRAY compat.legacy_tables() LOOP
    IF t <> 'account_metadata' THEN
      EXECUTE format('DROP TRIGGER IF EXISTS compat_frozen ON legacy.%I', t);
    END IF;
    -- The views go back to their owner alone.
    FOR g IN SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                  ELSE quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS grantee
               FROM pg_catalog.pg_class c, LATERAL pg_catalog.aclexplode(c.relacl) a
              WHERE c.oid = format('public.%I', t)::regclass AND a.grantee <> c.relowner
    LOOP
      EXECUTE format('REVOKE ALL ON public.%I FROM %s', t, g.grantee);
    END LOOP;
    EXECUTE format('ALTER VIEW public.%I SET SCHEMA compat', t);
    EXECUTE format('ALTER TABLE legacy.%I SET SCHEMA public', t);
  END LOOP;
  FOR g IN SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                                ELSE quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS grantee
             FROM pg_catalog.pg_class c, LATERAL pg_catalog.aclexplode(c.relacl) a
            WHERE c.oid = 'compat.activity_feedback_ids'::regclass AND a.grantee <> c.relowner
  LOOP
    EXECUTE format('REVOKE ALL ON compat.activity_feedback_ids FROM %s', g.grantee);
  END LOOP;
  -- Every row they covered is in the legacy table now, under its derived id.
  TRUNCATE compat.activity_feedback_map, compat.rekey_runs;

  INSERT INTO compat.switch_history (action, lsn, rows_copied)
  VALUES ('rollback', pg_catalog.pg_current_wal_insert_lsn(), n);
  RETURN format('rolled back: the legacy tables are back in public, %s changed key(s) copied back', n);
END
$fn$;

-- Operator functions: owner only (they move tables; the owner is who runs them).
REVOKE EXECUTE ON FUNCTION compat.switch(name, text, interval, interval),
                           compat.rollback(interval),
                           compat.back_copy(),
                           compat.back_copy_keys(),
                           compat.wait_for_bridge(name, name, text, interval),
                           compat.bridge_probe(name, text),
                           compat.bridge_position(name, text)
  FROM PUBLIC;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125800000', 'phase2_compat') ON CONFLICT (version) DO NOTHING;
