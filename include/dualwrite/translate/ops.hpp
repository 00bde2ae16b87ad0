// The writes a translated change asks of the target: one `OpKind` per target statement.
//
// For: the contract between translate (which fills the parameters, pure) and apply (which owns
// the SQL of each kind, in apply/statements.cpp, and batches consecutive ops of one kind into one
// set-based statement). The parameter order of each kind is listed here and nowhere else.
// Conventions: every parameter is text or NULL. For legacy columns that are NOT NULL, a NULL
// parameter means "unchanged TOAST: keep what the target has" (rule 5); nullable ones carry an
// explicit keep flag.
// Not for: SQL text.
// Thread-safety: constant data and value types.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace dualwrite::translate {

enum class OpKind : std::uint8_t {
  // account_linkages INSERT/UPDATE: creates the account if missing, upserts the link.
  // (id, account_id, user_id, created_at)
  link_put,
  // account_linkages DELETE; remembers the deleted links for the rest of the target
  // transaction, where account resolution still finds them (rule 4). (id)
  link_delete,
  // account_metadata INSERT/UPDATE. (account_id, status, onboarding_state|keep, updated_at)
  account_metadata_put,
  // user_attributes INSERT/UPDATE: account_profiles + account_settings.
  // (user_id, account_id|resolve, display_name, locale, timezone, country, age_range,
  //  travel_style, updated_at, keep_mask, notifications|keep, feature_flags, preferences)
  // keep_mask bits 0..5: display_name, locale, timezone, country, age_range, travel_style
  // unchanged. notifications NULL: preferences unchanged, settings kept.
  profile_put,
  // user_attributes DELETE. (user_id)
  profile_delete,
  // activity_feedback INSERT. (id, user_id, account_id|resolve, activity_slug, interaction_type,
  //  source_id|null, suggestion_id|null, score|null, metadata|keep, created_at, legacy_type)
  // legacy_type: the legacy feedback_type, which decides the recommendation outcome.
  feedback_insert,
  // activity_feedback UPDATE: same parameters, rewrites the interaction.
  feedback_update,
  // activity_feedback DELETE. (id)
  feedback_delete,
  // ai_suggestions INSERT/UPDATE: run + items.
  // (id, user_id, account_id|resolve, trigger, input_parameters|keep, model, model_params|keep,
  //  status, created_at, items|keep, item_count, model_keep)
  // items: jsonb array of {id, position, activity_slug, ranking_features}.
  suggestion_put,
  // ai_suggestions DELETE. (id)
  suggestion_delete,
  // offline_likes INSERT/UPDATE. (id, user_id, account_id|resolve, activity_slug, payload|keep,
  //  updated_at)
  offline_put,
  // offline_likes DELETE. (id)
  offline_delete,
  // chatbot_conversations INSERT/UPDATE. (id, user_id, account_id|resolve, session_type,
  //  state|keep, created_by, metadata|keep, started_at, last_activity_at, closed_at)
  session_put,
  // chatbot_conversations DELETE. (id)
  session_delete,
  // chatbot_messages INSERT/UPDATE. (id, session_id, role, content|keep, tool_calls,
  //  latency_ms, metadata|keep, created_at) — metadata NULL keeps tool_calls and latency_ms too.
  message_put,
  // chatbot_messages DELETE. (id)
  message_delete,
  // conversation_context INSERT/UPDATE. (session_id, summary|keep, last_updated_at)
  summary_put,
  // conversation_context DELETE. (session_id)
  summary_delete,
  // activities INSERT/UPDATE (the catalog rule): the rows naming the activity's slug get its id,
  // rows linked to it under a slug it no longer has lose the link. Read from the catalog as it
  // is when applied, so ops of this kind commute with every other. (id)
  activity_put,
};
inline constexpr std::size_t kOpKindCount = 19;

struct OpKindInfo {
  OpKind kind;
  std::string_view name;
  std::string_view target_table;  // the main table written, for metrics
  std::uint8_t param_count;
};

const OpKindInfo& info(OpKind kind);

// What an op touches, so that apply may reorder the ops of one target transaction (grouping
// each kind into one statement) exactly where reordering cannot be seen: two ops keep their
// stream order when they share a key and at least one of them writes it.
enum class KeySpace : std::uint8_t {
  // A legacy row, by its primary key as text (the target id where it is derived one-to-one):
  // one space per legacy table, in LegacyTable order. A change's ops write their row's key.
  account_linkages,
  user_attributes,
  account_metadata,
  activity_feedback,
  ai_suggestions,
  offline_likes,
  chatbot_conversations,  // also read by messages and summaries: their session must exist
  chatbot_messages,
  conversation_context,
  activities,
  // A user's link: written by link puts, read by every op that resolves its account from the
  // user (rule 3).
  user,
  // An account's existence: written by the ops that may create it (link and account_metadata
  // puts), read by every op that names it (the foreign keys to accounts).
  account,
  // The sequence numbers of a chat session's new messages ("1 + the highest at the time the row
  // is written"): the message statement numbers the messages of one session in stream order,
  // so messages of a session may share a statement but never overtake one another.
  message_order,
  // Everything: an op whose effects cannot be named (a link UPDATE: the user it leaves is not
  // in the stream). It runs after all earlier ops and before all later ones.
  everything,
};

enum class Access : std::uint8_t {
  read,
  write,
  // A write that may share a statement with ops of its own kind writing the same key (the
  // statement applies them in stream order), but never runs before an earlier one.
  ordered_write,
};

struct OpKey {
  KeySpace space;
  Access access;
  std::string_view text;
};

// A parameter: NULL or a text value. The view must stay valid until the sink has copied it.
struct Param {
  bool is_null = true;
  std::string_view text;

  static Param null() { return {}; }
  static Param of(std::string_view t) { return {false, t}; }
};

}  // namespace dualwrite::translate
