#include "dualwrite/translate/legacy_schema.hpp"

namespace dualwrite::translate {

namespace {

using J = JsonKind;

constexpr LegacyColumn kAccountLinkages[] = {
    {"id", J::string, true}, {"user_id"}, {"account_id"}, {"created_at"}};
constexpr LegacyColumn kUserAttributes[] = {{"user_id", J::string, true},
                                            {"account_id"},
                                            {"display_name"},
                                            {"locale"},
                                            {"timezone"},
                                            {"country"},
                                            {"age_range"},
                                            {"travel_style"},
                                            {"preferences", J::json},
                                            {"updated_at"}};
constexpr LegacyColumn kAccountMetadata[] = {{"account_id", J::string, true},
                                             {"status"},
                                             {"onboarding_state", J::json},
                                             {"metadata", J::json},
                                             {"updated_at"}};
constexpr LegacyColumn kActivityFeedback[] = {
    {"id", J::number, true}, {"user_id"},           {"account_id"},
    {"activity_slug"},       {"feedback_type"},     {"suggestion_id"},
    {"score", J::number},    {"metadata", J::json}, {"created_at"}};
constexpr LegacyColumn kAiSuggestions[] = {{"id", J::string, true},
                                           {"user_id"},
                                           {"account_id"},
                                           {"source"},
                                           {"prompt", J::json},
                                           {"model"},
                                           {"model_params", J::json},
                                           {"suggestions", J::json},
                                           {"status"},
                                           {"created_at"}};
constexpr LegacyColumn kOfflineLikes[] = {{"user_id", J::string, true},
                                          {"activity_slug", J::string, true},
                                          {"account_id"},
                                          {"payload", J::json},
                                          {"updated_at"}};
constexpr LegacyColumn kChatbotConversations[] = {
    {"id", J::string, true}, {"user_id"},    {"account_id"},        {"conversation_type"},
    {"context", J::json},    {"created_by"}, {"metadata", J::json}, {"created_at"},
    {"updated_at"},          {"ended_at"}};
constexpr LegacyColumn kChatbotMessages[] = {
    {"id", J::string, true}, {"conversation_id"}, {"role"}, {"content"},
    {"metadata", J::json},   {"created_at"}};
constexpr LegacyColumn kConversationContext[] = {
    {"conversation_id", J::string, true}, {"summary"}, {"updated_at"}};

constexpr LegacyTableInfo kTables[kLegacyTableCount] = {
    {LegacyTable::account_linkages, "account_linkages", kAccountLinkages},
    {LegacyTable::user_attributes, "user_attributes", kUserAttributes},
    {LegacyTable::account_metadata, "account_metadata", kAccountMetadata},
    {LegacyTable::activity_feedback, "activity_feedback", kActivityFeedback},
    {LegacyTable::ai_suggestions, "ai_suggestions", kAiSuggestions},
    {LegacyTable::offline_likes, "offline_likes", kOfflineLikes},
    {LegacyTable::chatbot_conversations, "chatbot_conversations", kChatbotConversations},
    {LegacyTable::chatbot_messages, "chatbot_messages", kChatbotMessages},
    {LegacyTable::conversation_context, "conversation_context", kConversationContext},
};

static_assert(std::size(kAccountLinkages) == col::account_linkages::count_);
static_assert(std::size(kUserAttributes) == col::user_attributes::count_);
static_assert(std::size(kAccountMetadata) == col::account_metadata::count_);
static_assert(std::size(kActivityFeedback) == col::activity_feedback::count_);
static_assert(std::size(kAiSuggestions) == col::ai_suggestions::count_);
static_assert(std::size(kOfflineLikes) == col::offline_likes::count_);
static_assert(std::size(kChatbotConversations) == col::chatbot_conversations::count_);
static_assert(std::size(kChatbotMessages) == col::chatbot_messages::count_);
static_assert(std::size(kConversationContext) == col::conversation_context::count_);

}  // namespace

const LegacyTableInfo& info(LegacyTable table) {
  return kTables[static_cast<std::size_t>(table)];
}

std::string_view name_of(LegacyTable table) {
  return info(table).name;
}

std::optional<LegacyTable> find_legacy_table(std::string_view schema, std::string_view name) {
  if (schema != "public") return std::nullopt;
  for (const auto& t : kTables) {
    if (t.name == name) return t.table;
  }
  return std::nullopt;
}

}  // namespace dualwrite::translate
