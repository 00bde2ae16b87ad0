#include "dualwrite/apply/statements.hpp"

#include <array>
#include <string>

#include "dualwrite/sql/apply.hpp"

namespace dualwrite::apply {

namespace {

using translate::OpKind;

// Account resolution (rule 3): the row's own account, else the account linked to its user.
// Links deleted earlier in this transaction count too (rule 4: a user's deletion cascades in
// an undefined order).

constexpr std::string_view kLinkPut = R"SQL(
WITH src AS (
  SELECT s.ord, s.id::uuid AS id, s.account_id::uuid AS account_id, s.user_id::uuid AS user_id,
         s.created_at::timestamptz AS created_at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         WITH ORDINALITY AS s(id, account_id, user_id, created_at, ord)
), new_accounts AS (
  -- An existing account keeps its status and state; its created_at and updated_at become the
  -- earliest and the latest of the writes that concern it, so they do not depend on whether
  -- the linkage or the account_metadata row arrived first.
  INSERT INTO public.accounts AS a (id, status, onboarding_state, created_at, updated_at)
  SELECT DISTINCT ON (account_id) account_id, 'active', '{}', created_at, created_at
    FROM src ORDER BY account_id, ord
  ON CONFLICT (id) DO UPDATE
     SET created_at = least(a.created_at, EXCLUDED.created_at),
         updated_at = greatest(a.updated_at, EXCLUDED.updated_at)
   WHERE EXCLUDED.created_at < a.created_at OR EXCLUDED.updated_at > a.updated_at
), links AS (
  INSERT INTO public.account_user_links (id, account_id, supabase_user_id, is_primary, linked_at)
  SELECT id, account_id, user_id, true, created_at FROM src
  ON CONFLICT (id) DO UPDATE
     SET account_id = EXCLUDED.account_id, supabase_user_id = EXCLUDED.supabase_user_id,
         is_primary = true, linked_at = EXCLUDED.linked_at
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false
)SQL";

constexpr std::string_view kLinkDelete = R"SQL(
WITH gone AS (
  DELETE FROM public.account_user_links WHERE id = ANY($1::text[]::uuid[])
  RETURNING supabase_user_id, account_id
), remembered AS (
  INSERT INTO pg_temp.dw_deleted_links (supabase_user_id, account_id)
  SELECT supabase_user_id, account_id FROM gone
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false
)SQL";

constexpr std::string_view kAccountMetadataPut = R"SQL(
WITH src AS (
  SELECT s.ord, s.account_id::uuid AS account_id, s.status::public.account_status AS status,
         s.onboarding_state::jsonb AS onboarding_state, s.updated_at::timestamptz AS updated_at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         WITH ORDINALITY AS s(account_id, status, onboarding_state, updated_at, ord)
), upd AS (
  UPDATE public.accounts a
     SET status = coalesce(s.status, a.status),
         onboarding_state = coalesce(s.onboarding_state, a.onboarding_state),
         -- monotonic, like touch_account_profile(): accounts.updated_at is the last change of
         -- the account or its profile, whichever order they arrive in
         updated_at = greatest(a.updated_at, s.updated_at),
         created_at = least(a.created_at, s.updated_at)
    FROM src s WHERE a.id = s.account_id
  RETURNING a.id
), ins AS (
  INSERT INTO public.accounts (id, status, onboarding_state, created_at, updated_at)
  SELECT account_id, coalesce(status, 'active'), coalesce(onboarding_state, '{}'), updated_at,
         updated_at
    FROM src WHERE account_id NOT IN (SELECT id FROM upd)
  ON CONFLICT (id) DO NOTHING
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false
)SQL";

constexpr std::string_view kProfilePut = R"SQL(
WITH src AS (
  SELECT s.ord,
         coalesce(s.account_id::uuid, l.account_id, d.account_id) AS account_id,
         s.display_name, s.locale, s.timezone, s.country,
         s.age_range::public.age_range AS age_range, s.travel_style,
         s.updated_at::timestamptz AS updated_at, s.keep::int AS keep,
         s.notifications::jsonb AS notifications, s.feature_flags::jsonb AS feature_flags,
         s.preferences::jsonb AS preferences
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                $13::text[])
         WITH ORDINALITY AS s(user_id, account_id, display_name, locale, timezone, country,
                              age_range, travel_style, updated_at, keep, notifications,
                              feature_flags, preferences, ord)
    LEFT JOIN public.account_user_links l
           ON s.account_id IS NULL AND l.supabase_user_id = s.user_id::uuid
    LEFT JOIN pg_temp.dw_deleted_links d
           ON s.account_id IS NULL AND d.supabase_user_id = s.user_id::uuid
), ok AS (
  SELECT * FROM src WHERE account_id IS NOT NULL
), profile_upd AS (
  UPDATE public.account_profiles p
     SET display_name = CASE WHEN o.keep & 1 <> 0 THEN p.display_name ELSE o.display_name END,
         locale       = CASE WHEN o.keep & 2 <> 0 THEN p.locale ELSE o.locale END,
         timezone     = CASE WHEN o.keep & 4 <> 0 THEN p.timezone ELSE o.timezone END,
         country      = CASE WHEN o.keep & 8 <> 0 THEN p.country ELSE o.country END,
         age_range    = CASE WHEN o.keep & 16 <> 0 THEN p.age_range ELSE o.age_range END,
         travel_style = CASE WHEN o.keep & 32 <> 0 THEN p.travel_style ELSE o.travel_style END,
         updated_at   = o.updated_at
    FROM ok o WHERE p.account_id = o.account_id
  RETURNING p.account_id
), profile_ins AS (
  INSERT INTO public.account_profiles (account_id, display_name, locale, timezone, country,
                                       age_range, travel_style, updated_at)
  SELECT account_id, display_name, locale, timezone, country, age_range, travel_style, updated_at
    FROM ok WHERE account_id NOT IN (SELECT account_id FROM profile_upd)
  ON CONFLICT (account_id) DO NOTHING
), settings_upd AS (
  UPDATE public.account_settings st
     SET notifications = coalesce(o.notifications, st.notifications),
         feature_flags = coalesce(o.feature_flags, st.feature_flags),
         preferences   = coalesce(o.preferences, st.preferences),
         updated_at    = o.updated_at
    FROM ok o WHERE st.account_id = o.account_id
  RETURNING st.account_id
), settings_ins AS (
  INSERT INTO public.account_settings (account_id, notifications, feature_flags, preferences,
                                       updated_at)
  SELECT account_id, notifications, feature_flags, preferences, updated_at
    FROM ok
   WHERE notifications IS NOT NULL AND account_id NOT IN (SELECT account_id FROM settings_upd)
  ON CONFLICT (account_id) DO NOTHING
)
SELECT ord, 'unlinked_user'::text AS outcome FROM src WHERE account_id IS NULL
)SQL";

constexpr std::string_view kProfileDelete = R"SQL(
WITH users AS (
  SELECT u::uuid AS user_id FROM unnest($1::text[]) AS u
), accounts AS (
  SELECT l.account_id FROM public.account_user_links l JOIN users ON l.supabase_user_id = users.user_id
  UNION
  SELECT d.account_id FROM pg_temp.dw_deleted_links d JOIN users ON d.supabase_user_id = users.user_id
), profiles AS (
  DELETE FROM public.account_profiles WHERE account_id IN (SELECT account_id FROM accounts)
), settings AS (
  DELETE FROM public.account_settings WHERE account_id IN (SELECT account_id FROM accounts)
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false
)SQL";

// activity_feedback: the common part of insert and update. The outcome on the item of the
// feedback's suggestion run is recomputed by a statement of its own that apply sends right
// after (dualwrite.recompute_outcomes: it must see this statement's interactions).
constexpr std::string_view kFeedbackSource = R"SQL(
WITH src AS (
  SELECT s.ord, s.id::uuid AS id,
         coalesce(s.account_id::uuid, l.account_id, d.account_id) AS account_id,
         act.id AS activity_id, s.activity_slug,
         s.interaction_type::public.interaction_type AS interaction_type,
         s.source_id::uuid AS source_id, s.suggestion_id::uuid AS suggestion_id,
         s.score::numeric AS score, s.metadata::jsonb AS metadata,
         s.created_at::timestamptz AS created_at, s.legacy_type
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
         WITH ORDINALITY AS s(id, user_id, account_id, activity_slug, interaction_type, source_id,
                              suggestion_id, score, metadata, created_at, legacy_type, ord)
    LEFT JOIN public.account_user_links l
           ON s.account_id IS NULL AND l.supabase_user_id = s.user_id::uuid
    LEFT JOIN pg_temp.dw_deleted_links d
           ON s.account_id IS NULL AND d.supabase_user_id = s.user_id::uuid
    LEFT JOIN public.activities act ON act.slug = s.activity_slug
), ok AS (
  SELECT * FROM src WHERE account_id IS NOT NULL
))SQL";

constexpr std::string_view kFeedbackSources = R"SQL(
, sources AS (
  INSERT INTO public.interaction_sources (id, source_type, source_id, context, created_at)
  SELECT DISTINCT ON (source_id) source_id, 'recommendation', suggestion_id, '{}', created_at
    FROM ok WHERE source_id IS NOT NULL ORDER BY source_id, ord
  ON CONFLICT (id) DO NOTHING
))SQL";

// Likes and bookmarks: the earliest of each key in the statement goes straight in when its key
// is free (the common case, set-based); the others (duplicates, or a key already kept) go
// through dualwrite.put_unique_interaction() in kFeedbackMergeTail, a second statement apply
// sends right after, which keeps the earliest of a key whatever the arrival order and parks
// the rest in dualwrite.merged_interactions (migration 20261125001300).
constexpr std::string_view kFeedbackInsertTail = R"SQL(
, likes AS (
  INSERT INTO public.activity_interactions (id, account_id, activity_id, activity_slug,
                                            interaction_type, source_session_id, score_delta,
                                            metadata, created_at)
  SELECT DISTINCT ON (account_id, activity_slug, interaction_type)
         id, account_id, activity_id, activity_slug, interaction_type, source_id, score,
         coalesce(metadata, '{}'), created_at
    FROM ok WHERE interaction_type IN ('like', 'bookmark')
   ORDER BY account_id, activity_slug, interaction_type, created_at, id
  ON CONFLICT DO NOTHING
), ins AS (
  INSERT INTO public.activity_interactions (id, account_id, activity_id, activity_slug,
                                            interaction_type, source_session_id, score_delta,
                                            metadata, created_at)
  SELECT id, account_id, activity_id, activity_slug, interaction_type, source_id, score,
         coalesce(metadata, '{}'), created_at
    FROM ok WHERE interaction_type NOT IN ('like', 'bookmark')
  ON CONFLICT DO NOTHING
)
SELECT ord, 'unlinked_user'::text AS outcome FROM src WHERE account_id IS NULL
)SQL";

// The likes/bookmarks of the insert statement that did not go straight in (the statement
// before has run: what it inserted is visible by id).
constexpr std::string_view kFeedbackMergeTail = R"SQL(
, merging AS MATERIALIZED (
  SELECT ord, dualwrite.put_unique_interaction(
           ROW(id, account_id, activity_id, activity_slug, interaction_type, source_id, score,
               coalesce(metadata, '{}'), created_at)::public.activity_interactions) AS outcome
    FROM ok
   WHERE interaction_type IN ('like', 'bookmark')
     AND NOT EXISTS (SELECT 1 FROM public.activity_interactions x
                      WHERE x.id = ok.id AND x.account_id = ok.account_id)
   ORDER BY ord
)
SELECT ord, outcome FROM merging WHERE outcome = 'merged'
)SQL";

constexpr std::string_view kFeedbackUpdateTail = R"SQL(
, unique_put AS (
  SELECT ord, dualwrite.put_unique_interaction(
           ROW(id, account_id, activity_id, activity_slug, interaction_type, source_id, score,
               metadata, created_at)::public.activity_interactions, true) AS outcome
    FROM ok WHERE interaction_type IN ('like', 'bookmark')
   ORDER BY ord
), moved AS (
  DELETE FROM public.activity_interactions x USING ok
   WHERE ok.interaction_type NOT IN ('like', 'bookmark')
     AND x.id = ok.id AND x.account_id <> ok.account_id
), upd AS (
  UPDATE public.activity_interactions x
     SET activity_id = ok.activity_id, activity_slug = ok.activity_slug,
         interaction_type = ok.interaction_type, source_session_id = ok.source_id,
         score_delta = ok.score,
         metadata = coalesce(ok.metadata,
                             CASE WHEN ok.legacy_type = 'dislike'
                                  THEN x.metadata || '{"legacy_feedback_type": "dislike"}'
                                  ELSE x.metadata - 'legacy_feedback_type' END),
         created_at = ok.created_at
    FROM ok
   WHERE ok.interaction_type NOT IN ('like', 'bookmark')
     AND x.id = ok.id AND x.account_id = ok.account_id
  RETURNING x.id
), ins AS (
  INSERT INTO public.activity_interactions (id, account_id, activity_id, activity_slug,
                                            interaction_type, source_session_id, score_delta,
                                            metadata, created_at)
  SELECT id, account_id, activity_id, activity_slug, interaction_type, source_id, score,
         coalesce(metadata, '{}'), created_at
    FROM ok
   WHERE interaction_type NOT IN ('like', 'bookmark') AND id NOT IN (SELECT id FROM upd)
  ON CONFLICT DO NOTHING
)
SELECT ord, 'unlinked_user'::text AS outcome FROM src WHERE account_id IS NULL
UNION ALL
SELECT ord, outcome FROM unique_put WHERE outcome = 'merged'
)SQL";

const std::string& feedback_insert_sql() {
  static const std::string sql = std::string(kFeedbackSource) + std::string(kFeedbackSources) +
                                 std::string(kFeedbackInsertTail);
  return sql;
}
const std::string& feedback_update_sql() {
  static const std::string sql = std::string(kFeedbackSource) + std::string(kFeedbackSources) +
                                 std::string(kFeedbackUpdateTail);
  return sql;
}

// Through dualwrite.delete_interactions(): an unlike promotes the next merged duplicate.
constexpr std::string_view kFeedbackDelete = R"SQL(
SELECT ord, outcome FROM dualwrite.delete_interactions($1::text[]::uuid[])
)SQL";

constexpr std::string_view kSuggestionPut = R"SQL(
WITH src AS (
  SELECT s.ord, s.id::uuid AS id,
         coalesce(s.account_id::uuid, l.account_id, d.account_id) AS account_id,
         s.trigger_::public.recommendation_trigger AS trigger_,
         s.input_parameters::jsonb AS input_parameters, s.model,
         s.model_params::jsonb AS model_params,
         s.status::public.recommendation_status AS status,
         s.created_at::timestamptz AS created_at, s.items::jsonb AS items,
         s.item_count::int AS item_count, s.model_keep::boolean AS model_keep
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
         WITH ORDINALITY AS s(id, user_id, account_id, trigger_, input_parameters, model,
                              model_params, status, created_at, items, item_count, model_keep,
                              ord)
    LEFT JOIN public.account_user_links l
           ON s.account_id IS NULL AND l.supabase_user_id = s.user_id::uuid
    LEFT JOIN pg_temp.dw_deleted_links d
           ON s.account_id IS NULL AND d.supabase_user_id = s.user_id::uuid
), ok AS (
  SELECT * FROM src WHERE account_id IS NOT NULL
), upd AS (
  UPDATE public.recommendation_runs r
     SET account_id = o.account_id,
         trigger = coalesce(o.trigger_, r.trigger),
         input_parameters = coalesce(o.input_parameters, r.input_parameters),
         model_metadata = jsonb_build_object(
           'model', CASE WHEN o.model_keep THEN r.model_metadata -> 'model' ELSE to_jsonb(o.model) END,
           'params', coalesce(o.model_params, r.model_metadata -> 'params', '{}')),
         status = coalesce(o.status, r.status),
         created_at = o.created_at
    FROM ok o WHERE r.id = o.id
  RETURNING r.id
), ins AS (
  INSERT INTO public.recommendation_runs (id, account_id, trigger, input_parameters,
                                          model_metadata, status, created_at)
  SELECT id, account_id, trigger_, coalesce(input_parameters, '{}'),
         jsonb_build_object('model', model, 'params', coalesce(model_params, '{}')),
         status, created_at
    FROM ok WHERE id NOT IN (SELECT id FROM upd)
  ON CONFLICT (id) DO NOTHING
), items AS (
  SELECT o.id AS run_id, e.id, e.position, e.activity_slug, e.ranking_features
    FROM ok o,
         jsonb_to_recordset(o.items) AS e(id uuid, position int, activity_slug text,
                                         ranking_features jsonb)
   WHERE o.items IS NOT NULL
), items_put AS (
  INSERT INTO public.recommendation_items (id, run_id, activity_id, activity_slug,
                                           ranking_features, position)
  SELECT i.id, i.run_id, a.id, i.activity_slug, i.ranking_features, i.position
    FROM items i LEFT JOIN public.activities a ON a.slug = i.activity_slug
  ON CONFLICT (id, run_id) DO UPDATE
     SET activity_id = EXCLUDED.activity_id, activity_slug = EXCLUDED.activity_slug,
         ranking_features = EXCLUDED.ranking_features, position = EXCLUDED.position
), items_trim AS (
  DELETE FROM public.recommendation_items ri USING ok o
   WHERE o.items IS NOT NULL AND ri.run_id = o.id AND ri.position > o.item_count
)
SELECT ord, 'unlinked_user'::text AS outcome FROM src WHERE account_id IS NULL
)SQL";

constexpr std::string_view kSuggestionDelete = R"SQL(
WITH gone AS (
  DELETE FROM public.recommendation_runs WHERE id = ANY($1::text[]::uuid[])
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false
)SQL";

constexpr std::string_view kOfflinePut = R"SQL(
WITH src AS (
  SELECT s.ord, s.id::uuid AS id,
         coalesce(s.account_id::uuid, l.account_id, d.account_id) AS account_id,
         s.activity_slug, s.payload::jsonb AS payload, s.updated_at::timestamptz AS updated_at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
         WITH ORDINALITY AS s(id, user_id, account_id, activity_slug, payload, updated_at, ord)
    LEFT JOIN public.account_user_links l
           ON s.account_id IS NULL AND l.supabase_user_id = s.user_id::uuid
    LEFT JOIN pg_temp.dw_deleted_links d
           ON s.account_id IS NULL AND d.supabase_user_id = s.user_id::uuid
), ok AS (
  SELECT * FROM src WHERE account_id IS NOT NULL
), upd AS (
  UPDATE public.offline_interactions t
     SET account_id = o.account_id, activity_slug = o.activity_slug, interaction_type = 'like',
         payload = coalesce(o.payload, t.payload), updated_at = o.updated_at
    FROM ok o WHERE t.id = o.id
  RETURNING t.id
), ins AS (
  INSERT INTO public.offline_interactions (id, account_id, activity_slug, interaction_type,
                                           payload, updated_at)
  SELECT id, account_id, activity_slug, 'like', coalesce(payload, '{}'), updated_at
    FROM ok WHERE id NOT IN (SELECT id FROM upd)
  ON CONFLICT (id) DO NOTHING
)
SELECT ord, 'unlinked_user'::text AS outcome FROM src WHERE account_id IS NULL
)SQL";

constexpr std::string_view kOfflineDelete = R"SQL(
WITH gone AS (
  DELETE FROM public.offline_interactions WHERE id = ANY($1::text[]::uuid[])
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false
)SQL";

constexpr std::string_view kSessionPut = R"SQL(
WITH src AS (
  SELECT s.ord, s.id::uuid AS id,
         coalesce(s.account_id::uuid, l.account_id, d.account_id) AS account_id,
         s.session_type::public.chat_session_type AS session_type, s.state::jsonb AS state,
         s.created_by::uuid AS created_by, s.metadata::jsonb AS metadata,
         s.started_at::timestamptz AS started_at,
         s.last_activity_at::timestamptz AS last_activity_at,
         s.closed_at::timestamptz AS closed_at
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::text[], $9::text[], $10::text[])
         WITH ORDINALITY AS s(id, user_id, account_id, session_type, state, created_by,
                              metadata, started_at, last_activity_at, closed_at, ord)
    LEFT JOIN public.account_user_links l
           ON s.account_id IS NULL AND l.supabase_user_id = s.user_id::uuid
    LEFT JOIN pg_temp.dw_deleted_links d
           ON s.account_id IS NULL AND d.supabase_user_id = s.user_id::uuid
), ok AS (
  SELECT * FROM src WHERE account_id IS NOT NULL
), upd AS (
  UPDATE public.chat_sessions t
     SET account_id = o.account_id, session_type = coalesce(o.session_type, t.session_type),
         state = coalesce(o.state, t.state), created_by = o.created_by,
         metadata = coalesce(o.metadata, t.metadata), started_at = o.started_at,
         last_activity_at = o.last_activity_at, closed_at = o.closed_at
    FROM ok o WHERE t.id = o.id
  RETURNING t.id
), ins AS (
  INSERT INTO public.chat_sessions (id, account_id, session_type, state, started_at,
                                    last_activity_at, closed_at, created_by, metadata)
  SELECT id, account_id, session_type, coalesce(state, '{}'), started_at, last_activity_at,
         closed_at, created_by, coalesce(metadata, '{}')
    FROM ok WHERE id NOT IN (SELECT id FROM upd)
  ON CONFLICT (id) DO NOTHING
)
SELECT ord, 'unlinked_user'::text AS outcome FROM src WHERE account_id IS NULL
)SQL";

constexpr std::string_view kSessionDelete = R"SQL(
WITH gone AS (
  DELETE FROM public.chat_sessions WHERE id = ANY($1::text[]::uuid[])
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false
)SQL";

// A new message's sequence: 1 + the session's highest, counting the new messages of the same
// statement in stream order.
constexpr std::string_view kMessagePut = R"SQL(
WITH src AS (
  SELECT s.ord, s.id::uuid AS id, s.session_id::uuid AS session_id,
         s.role::public.chat_role AS role, s.content, s.tool_calls::jsonb AS tool_calls,
         s.latency_ms::int AS latency_ms, s.metadata::jsonb AS metadata,
         s.created_at::timestamptz AS created_at,
         EXISTS (SELECT 1 FROM public.chat_sessions cs WHERE cs.id = s.session_id::uuid)
           AS has_parent
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::text[])
         WITH ORDINALITY AS s(id, session_id, role, content, tool_calls, latency_ms, metadata,
                              created_at, ord)
), ok AS (
  SELECT * FROM src WHERE has_parent
), upd AS (
  UPDATE public.chat_messages m
     SET role = o.role, content = coalesce(o.content, m.content),
         tool_calls = CASE WHEN o.metadata IS NULL THEN m.tool_calls ELSE o.tool_calls END,
         latency_ms = CASE WHEN o.metadata IS NULL THEN m.latency_ms ELSE o.latency_ms END,
         metadata = coalesce(o.metadata, m.metadata), created_at = o.created_at
    FROM ok o WHERE m.id = o.id AND m.session_id = o.session_id
  RETURNING m.id
), fresh AS (
  SELECT o.*, row_number() OVER (PARTITION BY o.session_id ORDER BY o.ord) AS n
    FROM ok o WHERE o.id NOT IN (SELECT id FROM upd)
), ins AS (
  INSERT INTO public.chat_messages (id, session_id, role, content, sequence, tool_calls,
                                    latency_ms, metadata, created_at)
  SELECT f.id, f.session_id, f.role, f.content,
         coalesce((SELECT max(m.sequence) FROM public.chat_messages m
                    WHERE m.session_id = f.session_id), 0) + f.n,
         f.tool_calls, f.latency_ms, coalesce(f.metadata, '{}'), f.created_at
    FROM fresh f
  ON CONFLICT (id, session_id) DO NOTHING
)
SELECT ord, 'missing_parent'::text AS outcome FROM src WHERE NOT has_parent
)SQL";

constexpr std::string_view kMessageDelete = R"SQL(
WITH gone AS (
  DELETE FROM public.chat_messages WHERE id = ANY($1::text[]::uuid[])
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false
)SQL";

constexpr std::string_view kSummaryPut = R"SQL(
WITH src AS (
  SELECT s.ord, s.session_id::uuid AS session_id, s.summary,
         s.last_updated_at::timestamptz AS last_updated_at,
         EXISTS (SELECT 1 FROM public.chat_sessions cs WHERE cs.id = s.session_id::uuid)
           AS has_parent
    FROM unnest($1::text[], $2::text[], $3::text[])
         WITH ORDINALITY AS s(session_id, summary, last_updated_at, ord)
), ok AS (
  SELECT * FROM src WHERE has_parent
), upd AS (
  UPDATE public.chat_summaries t
     SET summary = coalesce(o.summary, t.summary), last_updated_at = o.last_updated_at
    FROM ok o WHERE t.session_id = o.session_id
  RETURNING t.session_id
), ins AS (
  INSERT INTO public.chat_summaries (session_id, summary, last_updated_at)
  SELECT session_id, summary, last_updated_at
    FROM ok WHERE session_id NOT IN (SELECT session_id FROM upd)
  ON CONFLICT (session_id) DO NOTHING
)
SELECT ord, 'missing_parent'::text AS outcome FROM src WHERE NOT has_parent
)SQL";

constexpr std::string_view kSummaryDelete = R"SQL(
WITH gone AS (
  DELETE FROM public.chat_summaries WHERE session_id = ANY($1::text[]::uuid[])
)
SELECT NULL::bigint AS ord, NULL::text AS outcome WHERE false
)SQL";

struct Statement {
  OpKind kind;
  std::string_view name;
  std::string_view sql;
};

constexpr std::array<Statement, translate::kOpKindCount> kStatements{{
    {OpKind::link_put, "dw_link_put", kLinkPut},
    {OpKind::link_delete, "dw_link_delete", kLinkDelete},
    {OpKind::account_metadata_put, "dw_account_metadata_put", kAccountMetadataPut},
    {OpKind::profile_put, "dw_profile_put", kProfilePut},
    {OpKind::profile_delete, "dw_profile_delete", kProfileDelete},
    {OpKind::feedback_insert, "dw_feedback_insert", {}},
    {OpKind::feedback_update, "dw_feedback_update", {}},
    {OpKind::feedback_delete, "dw_feedback_delete", kFeedbackDelete},
    {OpKind::suggestion_put, "dw_suggestion_put", kSuggestionPut},
    {OpKind::suggestion_delete, "dw_suggestion_delete", kSuggestionDelete},
    {OpKind::offline_put, "dw_offline_put", kOfflinePut},
    {OpKind::offline_delete, "dw_offline_delete", kOfflineDelete},
    {OpKind::session_put, "dw_session_put", kSessionPut},
    {OpKind::session_delete, "dw_session_delete", kSessionDelete},
    {OpKind::message_put, "dw_message_put", kMessagePut},
    {OpKind::message_delete, "dw_message_delete", kMessageDelete},
    {OpKind::summary_put, "dw_summary_put", kSummaryPut},
    {OpKind::summary_delete, "dw_summary_delete", kSummaryDelete},
}};

constexpr bool statements_in_enum_order() {
  for (std::size_t i = 0; i < kStatements.size(); ++i) {
    if (static_cast<std::size_t>(kStatements[i].kind) != i) return false;
  }
  return true;
}
static_assert(statements_in_enum_order());

}  // namespace

std::string_view statement_name(OpKind kind) {
  return kStatements[static_cast<std::size_t>(kind)].name;
}
std::string_view statement_sql(OpKind kind) {
  // The two feedback statements share their first half, so they are assembled once at run time.
  if (kind == OpKind::feedback_insert) return feedback_insert_sql();
  if (kind == OpKind::feedback_update) return feedback_update_sql();
  return kStatements[static_cast<std::size_t>(kind)].sql;
}

std::string_view session_setup_sql() {
  return sql::apply::session_setup;
}

std::string_view insert_dead_letter_sql() {
  return R"SQL(
INSERT INTO dualwrite.dead_letters (source_table, operation, old_key, new_row, lsn, xid,
                                    commit_time, reason, detail)
SELECT $1, $2, $3::jsonb, $4::jsonb, $5::pg_lsn, $6::bigint, $7::timestamptz, $8, $9
 WHERE $5 IS NULL OR NOT EXISTS (
       -- a replayed change is not dead-lettered twice
       SELECT 1 FROM dualwrite.dead_letters d
        WHERE d.lsn = $5::pg_lsn AND d.xid = $6::bigint AND d.source_table = $1
          AND d.operation = $2 AND d.reason = $8
          AND d.old_key IS NOT DISTINCT FROM $3::jsonb AND d.new_row IS NOT DISTINCT FROM $4::jsonb)
)SQL";
}

std::string_view unlinked_letters_of_users_sql() {
  return R"SQL(
SELECT id, source_table, operation, old_key::text, new_row::text, lsn::text, xid,
       commit_time::text
  FROM dualwrite.dead_letters
 WHERE reason = 'unlinked_user' AND resolved_at IS NULL
   AND new_row ->> 'user_id' = ANY($1::text[])
 ORDER BY id
   FOR UPDATE
)SQL";
}

std::string_view feedback_merge_sql() {
  static const std::string sql = std::string(kFeedbackSource) + std::string(kFeedbackMergeTail);
  return sql;
}

std::string_view supersede_letters_sql() {
  // The target-side key of each legacy table's letters, as the delete ops name their rows.
  return R"SQL(
WITH superseded AS (
  UPDATE dualwrite.dead_letters d
     SET resolved_at = now(),
         detail = coalesce(d.detail, '') || ' [superseded: the row was deleted later]'
   WHERE d.resolved_at IS NULL AND d.source_table = $1 AND d.operation IN ('insert', 'update')
     AND (CASE d.source_table
            WHEN 'activity_feedback' THEN uuid_generate_v5(
              'b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45', 'activity_feedback:' || (d.new_row ->> 'id'))::text
            WHEN 'offline_likes' THEN uuid_generate_v5(
              'b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45',
              'offline_likes:' || (d.new_row ->> 'user_id') || ':' || (d.new_row ->> 'activity_slug'))::text
            WHEN 'user_attributes' THEN d.new_row ->> 'user_id'
            WHEN 'conversation_context' THEN d.new_row ->> 'conversation_id'
            ELSE d.new_row ->> 'id'
          END) = ANY($2::text[])
  RETURNING d.reason
)
SELECT reason, count(*) FROM superseded GROUP BY reason
)SQL";
}

std::string_view recompute_outcomes_sql() {
  return "SELECT dualwrite.recompute_outcomes($1::text[]::uuid[], $2::text[]) WHERE "
         "cardinality($1::text[]) > 0";
}

std::string_view orphan_letters_of_sessions_sql() {
  return R"SQL(
SELECT id, source_table, operation, old_key::text, new_row::text, lsn::text, xid,
       commit_time::text
  FROM dualwrite.dead_letters
 WHERE reason = 'missing_parent' AND resolved_at IS NULL
   AND coalesce(new_row ->> 'conversation_id', old_key ->> 'conversation_id') = ANY($1::text[])
 ORDER BY id
   FOR UPDATE
)SQL";
}

std::string_view resolve_dead_letters_sql() {
  return R"SQL(
UPDATE dualwrite.dead_letters
   SET resolved_at = now(), attempts = attempts + 1
 WHERE id = ANY($1::text[]::bigint[])
)SQL";
}

}  // namespace dualwrite::apply
