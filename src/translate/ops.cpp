#include "dualwrite/translate/ops.hpp"

namespace dualwrite::translate {

namespace {

constexpr OpKindInfo kOps[kOpKindCount] = {
    {OpKind::link_put, "link_put", "account_user_links", 4},
    {OpKind::link_delete, "link_delete", "account_user_links", 1},
    {OpKind::account_metadata_put, "account_metadata_put", "accounts", 4},
    {OpKind::profile_put, "profile_put", "account_profiles", 13},
    {OpKind::profile_delete, "profile_delete", "account_profiles", 1},
    {OpKind::feedback_insert, "feedback_insert", "activity_interactions", 11},
    {OpKind::feedback_update, "feedback_update", "activity_interactions", 11},
    {OpKind::feedback_delete, "feedback_delete", "activity_interactions", 1},
    {OpKind::suggestion_put, "suggestion_put", "recommendation_runs", 12},
    {OpKind::suggestion_delete, "suggestion_delete", "recommendation_runs", 1},
    {OpKind::offline_put, "offline_put", "offline_interactions", 6},
    {OpKind::offline_delete, "offline_delete", "offline_interactions", 1},
    {OpKind::session_put, "session_put", "chat_sessions", 10},
    {OpKind::session_delete, "session_delete", "chat_sessions", 1},
    {OpKind::message_put, "message_put", "chat_messages", 8},
    {OpKind::message_delete, "message_delete", "chat_messages", 1},
    {OpKind::summary_put, "summary_put", "chat_summaries", 3},
    {OpKind::summary_delete, "summary_delete", "chat_summaries", 1},
    {OpKind::activity_put, "activity_put", "activity_interactions", 1},
};

constexpr bool table_is_in_enum_order() {
  for (std::size_t i = 0; i < kOpKindCount; ++i) {
    if (static_cast<std::size_t>(kOps[i].kind) != i) return false;
  }
  return true;
}
static_assert(table_is_in_enum_order());

}  // namespace

const OpKindInfo& info(OpKind kind) {
  return kOps[static_cast<std::size_t>(kind)];
}

}  // namespace dualwrite::translate
