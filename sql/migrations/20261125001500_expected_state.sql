-- Migration: the expected state. mapping.md (shared/spec/mapping.md) expressed set-based over the legacy
-- tables, one view per target table the bridge writes, with exactly that table's columns (names,
-- order, types), so that
--   * integration tests prove that after streaming the new tables equal these views,
--   * `dualwrite verify` compares counts and row digests against them (sql/verify/compare.sql),
--   * `dualwrite bootstrap` backfills with INSERT INTO public.t SELECT * FROM dualwrite_expected.t
--     (in FK order: accounts, account_user_links, account_profiles, account_settings,
--     interaction_sources, activity_interactions, recommendation_runs, recommendation_items,
--     offline_interactions, chat_sessions, chat_messages, chat_summaries).
--
-- Not for: the stream. The bridge's rules live in src/translate/translator.cpp (validation,
-- enums, v5 ids, JSON splitting) and src/apply/statements.cpp (account resolution, catalog
-- lookup, merges, outcomes, sequences); these views must agree with them, and the tests in
-- tests/integration/expected/ pin the rules row by row.
--
-- Idempotent: CREATE SCHEMA IF NOT EXISTS, CREATE OR REPLACE. Reads only; creates nothing outside
-- schema dualwrite_expected.
--
-- What the views show is what mapping.md computes from the legacy tables *as they are now*.
-- A row whose change the bridge dead-letters is absent:
--   unlinked_user       no account_id and the user has no account_linkages row
--   unknown_enum_value  a value outside its vocabulary (feedback_type, source, status,
--                       conversation_type, role, age_range, account_metadata.status)
--   invalid_payload     preferences / its notifications / feature_flags not objects; a dislike's
--                       metadata not an object; suggestions not an array of objects with a string
--                       slug (and an object `features` where present); a message's metadata not
--                       an object
--   missing_parent      a message or summary whose conversation has no (expected) chat_sessions row
--   apply_error (FK)    a row naming an account_id that no linkage or valid metadata row creates:
--                       the target's FK to accounts refuses it, so it is absent too.
-- Where the stream's result depends on commit order, the views assume commit order = legacy id /
-- timestamp order (true for the tests; for production see the notes on each view):
--   * like/bookmark merge: the earliest interaction per (account, activity_slug,
--     interaction_type) by (created_at, id) is kept — id being the target's v5 id, the
--     tie-break dualwrite.put_unique_interaction() uses, so that the stream agrees;
--   * chat_messages.sequence numbers a session's messages by (created_at, id) (mapping.md: the
--     backfill's numbering);
--   * item outcomes: timestamps of the earliest feedback of each kind, `liked` the latest
--     like/dislike (by created_at, then id).
-- History the legacy tables no longer hold cannot be reproduced (an account whose linkage was
-- deleted, a deleted account_metadata row, a deleted feedback's outcome); compare.sql documents
-- how the diff treats each such case.

CREATE SCHEMA IF NOT EXISTS dualwrite_expected;
COMMENT ON SCHEMA dualwrite_expected IS
  'Expected state of the normalized tables computed from the legacy ones (sql/verify/expected.sql).';

-- v5(name): uuid_generate_v5 in the mapping's namespace (mapping.md rule 1). uuid-ossp lives in
-- `public` on plain PostgreSQL and in `extensions` on Supabase; the function is created with the
-- extension's schema written into its body, so it works whatever the caller's search_path, and,
-- having no SET clause, it stays an inlinable SQL function (a SET clause would cost a GUC
-- save/restore per row on 150 M rows).
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
    CREATE OR REPLACE FUNCTION dualwrite_expected.v5(name text) RETURNS uuid
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS 'SELECT %I.uuid_generate_v5(''b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45''::uuid, name)'
  $f$, ext_schema);
END
$do$;
COMMENT ON FUNCTION dualwrite_expected.v5(text) IS
  'uuid v5 of name in the mapping namespace b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45 (mapping.md rule 1).';

-- ---------------------------------------------------------------------------------------------
-- Helpers (leading underscore: not target tables).
-- ---------------------------------------------------------------------------------------------

-- Every account the bridge creates: one per linkage (account_linkages INSERT/UPDATE) and one per
-- account_metadata row it can translate (a status outside account_status is dead-lettered, so
-- that row creates nothing).
CREATE OR REPLACE VIEW dualwrite_expected._known_accounts AS
SELECT l.account_id AS id FROM public.account_linkages l
UNION
SELECT m.account_id FROM public.account_metadata m
 WHERE m.status IN ('active', 'suspended', 'deleted');

-- user_attributes rows the bridge applies (_user_attributes_valid; the others it dead-letters):
-- account resolved (rule 3) and known,
-- age_range in its vocabulary or NULL, preferences an object whose notifications / feature_flags
-- are objects when present. Two users resolving to one account (only possible with a hand-set
-- legacy account_id) are upserted onto the same rows by the bridge: the last write wins, taken
-- here as the latest updated_at.
CREATE OR REPLACE VIEW dualwrite_expected._user_attributes_valid AS
SELECT r.*
  FROM (SELECT coalesce(u.account_id, l.account_id) AS account_id, u.user_id, u.display_name,
               u.locale, u.timezone, u.country, u.age_range, u.travel_style, u.preferences,
               u.updated_at
          FROM public.user_attributes u
          LEFT JOIN public.account_linkages l ON u.account_id IS NULL AND l.user_id = u.user_id
         WHERE (u.age_range IS NULL
                OR u.age_range IN ('18-24', '25-34', '35-44', '45-54', '55-64', '65+'))
           AND jsonb_typeof(u.preferences) = 'object'
           AND coalesce(jsonb_typeof(u.preferences -> 'notifications'), 'object') = 'object'
           AND coalesce(jsonb_typeof(u.preferences -> 'feature_flags'), 'object') = 'object') r
 WHERE r.account_id IN (SELECT k.id FROM dualwrite_expected._known_accounts k);

-- One per account (see above): the rows that become a profile and settings.
CREATE OR REPLACE VIEW dualwrite_expected._user_attributes AS
SELECT DISTINCT ON (v.account_id) v.*
  FROM dualwrite_expected._user_attributes_valid v
 ORDER BY v.account_id, v.updated_at DESC, v.user_id DESC;

-- activity_feedback rows the bridge translates and applies (before the like/bookmark merge), with
-- their target columns plus the legacy id and type (for the merge and the item outcomes).
CREATE OR REPLACE VIEW dualwrite_expected._feedback AS
SELECT f.id AS legacy_id,
       dualwrite_expected.v5('activity_feedback:' || f.id::text) AS id,
       coalesce(f.account_id, l.account_id) AS account_id,
       a.id AS activity_id,
       f.activity_slug,
       (CASE f.feedback_type
          WHEN 'like' THEN 'like' WHEN 'dislike' THEN 'skip' WHEN 'skip' THEN 'skip'
          WHEN 'view' THEN 'view' WHEN 'save' THEN 'bookmark' WHEN 'booked' THEN 'book'
          WHEN 'shared' THEN 'share'
        END)::public.interaction_type AS interaction_type,
       CASE WHEN f.suggestion_id IS NOT NULL
            THEN dualwrite_expected.v5('interaction_sources:recommendation:' || f.suggestion_id::text)
       END AS source_session_id,
       f.score AS score_delta,
       CASE WHEN f.feedback_type = 'dislike'
            THEN f.metadata || '{"legacy_feedback_type": "dislike"}'::jsonb
            ELSE f.metadata
       END AS metadata,
       f.created_at,
       f.feedback_type,
       f.suggestion_id
  FROM public.activity_feedback f
  LEFT JOIN public.account_linkages l ON f.account_id IS NULL AND l.user_id = f.user_id
  LEFT JOIN public.activities a ON a.slug = f.activity_slug
 WHERE f.feedback_type IN ('like', 'dislike', 'skip', 'view', 'save', 'booked', 'shared')
   AND (f.feedback_type <> 'dislike' OR jsonb_typeof(f.metadata) = 'object')
   AND coalesce(f.account_id, l.account_id) IN (SELECT k.id FROM dualwrite_expected._known_accounts k);

-- ai_suggestions rows the bridge translates and applies: account resolved and known, source and
-- status in their vocabularies, suggestions an array of objects, each with a string slug and, when
-- it has `features`, an object there (translator.cpp refuses a non-object features too).
CREATE OR REPLACE VIEW dualwrite_expected._runs AS
SELECT s.id, coalesce(s.account_id, l.account_id) AS account_id, s.source, s.prompt, s.model,
       s.model_params, s.suggestions, s.status, s.created_at
  FROM public.ai_suggestions s
  LEFT JOIN public.account_linkages l ON s.account_id IS NULL AND l.user_id = s.user_id
 WHERE s.source IN ('quiz', 'chat', 'manual', 'cron')
   AND s.status IN ('pending', 'completed', 'failed')
   AND jsonb_typeof(s.suggestions) = 'array'
   AND NOT EXISTS (
         SELECT 1
           FROM jsonb_array_elements(CASE WHEN jsonb_typeof(s.suggestions) = 'array'
                                          THEN s.suggestions ELSE '[]'::jsonb END) AS e(elem)
          WHERE jsonb_typeof(e.elem) <> 'object'
             OR jsonb_typeof(e.elem -> 'slug') IS DISTINCT FROM 'string'
             OR jsonb_typeof(e.elem -> 'features') <> 'object')
   AND coalesce(s.account_id, l.account_id) IN (SELECT k.id FROM dualwrite_expected._known_accounts k);

-- The outcome of a run's items per (run, slug), from the applied feedback naming that run
-- (merged likes included: mapping.md records the outcome even then). Like the bridge, which
-- recomputes an item's outcome from the interactions whenever they change (so the result does
-- not depend on arrival order, and a deleted feedback takes its outcome with it): each
-- timestamp is that of the earliest feedback of its kind; `liked` follows the latest
-- like/dislike (by created_at, then id).
CREATE OR REPLACE VIEW dualwrite_expected._item_outcomes AS
SELECT f.suggestion_id AS run_id, f.activity_slug,
       min(f.created_at) FILTER (WHERE f.feedback_type = 'view') AS presented_at,
       min(f.created_at) FILTER (WHERE f.feedback_type IN ('dislike', 'skip')) AS dismissed_at,
       min(f.created_at) FILTER (WHERE f.feedback_type IN ('save', 'booked', 'shared'))
         AS clicked_at,
       (array_agg(f.feedback_type = 'like' ORDER BY f.created_at DESC, f.id DESC)
          FILTER (WHERE f.feedback_type IN ('like', 'dislike')))[1] AS liked
  FROM dualwrite_expected._feedback f
 WHERE f.suggestion_id IS NOT NULL
 GROUP BY f.suggestion_id, f.activity_slug;

-- ---------------------------------------------------------------------------------------------
-- The twelve target tables.
-- ---------------------------------------------------------------------------------------------

-- accounts: one per known account.
--   status, onboarding_state: from a translatable account_metadata row, else the linkage defaults
--     ('active', '{}').
--   updated_at: the latest of the linkage's created_at, the metadata's updated_at and the
--     profile's updated_at — the bridge writes the first two monotonically, whichever arrives
--     first (a linkage or metadata write never moves updated_at back, nor created_at forward),
--     and touch_account_profile() moves it forward to the third.
--   created_at: set by whichever write created the account: the linkage (its created_at) or the
--     metadata (its updated_at at that time). When both exist the legacy tables do not say which
--     came first, so this takes the earlier of the two (least(); ambiguous when the metadata was
--     written before the linkage and updated since — its insert-time updated_at is gone).
CREATE OR REPLACE VIEW dualwrite_expected.accounts AS
SELECT k.id,
       coalesce(m.status::public.account_status, 'active'::public.account_status) AS status,
       coalesce(m.onboarding_state, '{}'::jsonb) AS onboarding_state,
       least(l.created_at, m.updated_at) AS created_at,
       greatest(l.created_at, m.updated_at, p.updated_at) AS updated_at
  FROM dualwrite_expected._known_accounts k
  LEFT JOIN public.account_linkages l ON l.account_id = k.id
  LEFT JOIN public.account_metadata m
         ON m.account_id = k.id AND m.status IN ('active', 'suspended', 'deleted')
  LEFT JOIN dualwrite_expected._user_attributes p ON p.account_id = k.id;

CREATE OR REPLACE VIEW dualwrite_expected.account_user_links AS
SELECT l.id, l.account_id, l.user_id AS supabase_user_id, true AS is_primary,
       l.created_at AS linked_at
  FROM public.account_linkages l;

CREATE OR REPLACE VIEW dualwrite_expected.account_profiles AS
SELECT u.account_id, u.display_name, u.locale, u.timezone, u.country,
       u.age_range::public.age_range AS age_range, u.travel_style, u.updated_at
  FROM dualwrite_expected._user_attributes u;

-- preferences is split: notifications and feature_flags ('{}' when absent), the other keys.
CREATE OR REPLACE VIEW dualwrite_expected.account_settings AS
SELECT u.account_id,
       coalesce(u.preferences -> 'notifications', '{}'::jsonb) AS notifications,
       coalesce(u.preferences -> 'feature_flags', '{}'::jsonb) AS feature_flags,
       u.preferences - 'notifications' - 'feature_flags' AS preferences,
       u.updated_at
  FROM dualwrite_expected._user_attributes u;

-- Every applied feedback except the merged likes/bookmarks: per (account, slug, type) of those
-- two types only the earliest has a row, by (created_at, id) — the bridge keeps the earliest
-- whatever order they arrive in (a late-linked user's old like replaces a newer one) and keeps
-- the others in dualwrite.merged_interactions, from where an unlike promotes the next one.
CREATE OR REPLACE VIEW dualwrite_expected.activity_interactions AS
SELECT f.id, f.account_id, f.activity_id, f.activity_slug, f.interaction_type,
       f.source_session_id, f.score_delta, f.metadata, f.created_at
  FROM dualwrite_expected._feedback f
 WHERE f.interaction_type NOT IN ('like', 'bookmark')
UNION ALL
SELECT k.id, k.account_id, k.activity_id, k.activity_slug, k.interaction_type,
       k.source_session_id, k.score_delta, k.metadata, k.created_at
  FROM (SELECT DISTINCT ON (f.account_id, f.activity_slug, f.interaction_type) f.*
          FROM dualwrite_expected._feedback f
         WHERE f.interaction_type IN ('like', 'bookmark')
         ORDER BY f.account_id, f.activity_slug, f.interaction_type, f.created_at, f.id) k;

-- One recommendation source per suggestion named by an applied feedback (merged ones too),
-- created by the first such feedback: created_at is that feedback's created_at.
CREATE OR REPLACE VIEW dualwrite_expected.interaction_sources AS
SELECT DISTINCT ON (f.suggestion_id)
       f.source_session_id AS id,
       'recommendation'::public.interaction_source_type AS source_type,
       f.suggestion_id AS source_id,
       '{}'::jsonb AS context,
       f.created_at
  FROM dualwrite_expected._feedback f
 WHERE f.suggestion_id IS NOT NULL
 ORDER BY f.suggestion_id, f.legacy_id;

CREATE OR REPLACE VIEW dualwrite_expected.recommendation_runs AS
SELECT r.id, r.account_id,
       (CASE r.source WHEN 'quiz' THEN 'quiz_result' WHEN 'chat' THEN 'chat_prompt'
                      ELSE r.source END)::public.recommendation_trigger AS trigger,
       r.prompt AS input_parameters,
       jsonb_build_object('model', r.model, 'params', r.model_params) AS model_metadata,
       r.status::public.recommendation_status AS status,
       r.created_at
  FROM dualwrite_expected._runs r;

-- Element i (1-based) of suggestions is item i; ranking_features = features without its own
-- score/reason keys, plus the element's score and reason where the element has them (a JSON null
-- included, as the bridge copies it).
CREATE OR REPLACE VIEW dualwrite_expected._items AS
SELECT dualwrite_expected.v5('ai_suggestions:' || r.id::text || ':' || e.i::text) AS id,
       r.id AS run_id,
       a.id AS activity_id,
       e.elem ->> 'slug' AS activity_slug,
       (coalesce(e.elem -> 'features', '{}'::jsonb) - 'score' - 'reason')
         || CASE WHEN e.elem ? 'score' THEN jsonb_build_object('score', e.elem -> 'score')
                 ELSE '{}'::jsonb END
         || CASE WHEN e.elem ? 'reason' THEN jsonb_build_object('reason', e.elem -> 'reason')
                 ELSE '{}'::jsonb END AS ranking_features,
       e.i::integer AS position,
       NULL::timestamptz AS presented_at, NULL::timestamptz AS dismissed_at,
       NULL::timestamptz AS clicked_at, NULL::boolean AS liked
  FROM dualwrite_expected._runs r
 CROSS JOIN LATERAL jsonb_array_elements(r.suggestions) WITH ORDINALITY AS e(elem, i)
  LEFT JOIN public.activities a ON a.slug = e.elem ->> 'slug';

-- The items with their outcomes. (_items, without them, is what the backfill copies run range
-- by run range; it then sets the outcomes from _item_outcomes in one pass.)
CREATE OR REPLACE VIEW dualwrite_expected.recommendation_items AS
SELECT i.id, i.run_id, i.activity_id, i.activity_slug, i.ranking_features, i.position,
       o.presented_at, o.dismissed_at, o.clicked_at, o.liked
  FROM dualwrite_expected._items i
  LEFT JOIN dualwrite_expected._item_outcomes o
         ON o.run_id = i.run_id AND o.activity_slug = i.activity_slug;

CREATE OR REPLACE VIEW dualwrite_expected.offline_interactions AS
SELECT dualwrite_expected.v5('offline_likes:' || o.user_id::text || ':' || o.activity_slug) AS id,
       coalesce(o.account_id, l.account_id) AS account_id,
       o.activity_slug,
       'like'::public.interaction_type AS interaction_type,
       o.payload,
       o.updated_at
  FROM public.offline_likes o
  LEFT JOIN public.account_linkages l ON o.account_id IS NULL AND l.user_id = o.user_id
 WHERE coalesce(o.account_id, l.account_id) IN (SELECT k.id FROM dualwrite_expected._known_accounts k);

CREATE OR REPLACE VIEW dualwrite_expected.chat_sessions AS
SELECT c.id,
       coalesce(c.account_id, l.account_id) AS account_id,
       c.conversation_type::public.chat_session_type AS session_type,
       c.context AS state,
       c.created_at AS started_at,
       c.updated_at AS last_activity_at,
       c.ended_at AS closed_at,
       c.created_by,
       c.metadata
  FROM public.chatbot_conversations c
  LEFT JOIN public.account_linkages l ON c.account_id IS NULL AND l.user_id = c.user_id
 WHERE c.conversation_type IN ('trip_planning', 'support', 'onboarding')
   AND coalesce(c.account_id, l.account_id) IN (SELECT k.id FROM dualwrite_expected._known_accounts k);

-- metadata is split: tool_calls (NULL when absent), latency_ms when it is an integer that fits
-- `integer` (the jsonb text of an integral number has no '.' or exponent: jsonb prints 1e3 as
-- 1000 and 12.0 as 12.0, exactly the text the bridge parses), the other keys. A latency_ms that
-- is not such an integer stays in metadata. sequence: the backfill's numbering, by (created_at, id).
CREATE OR REPLACE VIEW dualwrite_expected.chat_messages AS
SELECT m.id,
       m.conversation_id AS session_id,
       m.role::public.chat_role AS role,
       m.content,
       row_number() OVER (PARTITION BY m.conversation_id ORDER BY m.created_at, m.id)::integer
         AS sequence,
       m.metadata -> 'tool_calls' AS tool_calls,
       CASE WHEN m.latency_is_int THEN (m.metadata ->> 'latency_ms')::integer END AS latency_ms,
       CASE WHEN m.latency_is_int THEN m.metadata - 'tool_calls' - 'latency_ms'
            ELSE m.metadata - 'tool_calls' END AS metadata,
       m.created_at
  FROM (SELECT x.*,
               coalesce(jsonb_typeof(x.metadata -> 'latency_ms') = 'number'
                        AND (x.metadata ->> 'latency_ms') ~ '^-?[0-9]+$'
                        AND (x.metadata ->> 'latency_ms')::numeric
                              BETWEEN -2147483648 AND 2147483647, false) AS latency_is_int
          FROM public.chatbot_messages x
         WHERE x.role IN ('user', 'assistant', 'system', 'tool')
           AND jsonb_typeof(x.metadata) = 'object'
           AND x.conversation_id IN (SELECT s.id FROM dualwrite_expected.chat_sessions s)) m;

CREATE OR REPLACE VIEW dualwrite_expected.chat_summaries AS
SELECT c.conversation_id AS session_id, c.summary, c.updated_at AS last_updated_at
  FROM public.conversation_context c
 WHERE c.conversation_id IN (SELECT s.id FROM dualwrite_expected.chat_sessions s);

-- The bridge's role reads these for `dualwrite verify` and `bootstrap` (when the role exists;
-- the views read the legacy tables with their owner's rights, which the role has anyway).
DO $do$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'dualwrite') THEN
    GRANT USAGE ON SCHEMA dualwrite_expected TO dualwrite;
    GRANT SELECT ON ALL TABLES IN SCHEMA dualwrite_expected TO dualwrite;
    GRANT EXECUTE ON FUNCTION dualwrite_expected.v5(text) TO dualwrite;
  END IF;
END
$do$;

INSERT INTO dualwrite.schema_migrations (version, name)
VALUES ('20261125001500', 'expected_state') ON CONFLICT (version) DO NOTHING;
