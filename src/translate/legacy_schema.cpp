#include "dualwrite/translate/legacy_schema.hpp"

#include <string>
#include <utility>

namespace dualwrite::translate {

namespace {

using T = PgType;
constexpr bool kKey = true;

// Column names and types as sql/fixture/legacy_schema.sql creates them.
constexpr LegacyColumn kAccountLinkages[] = {{"id", T::uuid, kKey},
                                             {"user_id", T::uuid},
                                             {"account_id", T::uuid},
                                             {"created_at", T::timestamptz}};
constexpr LegacyColumn kUserAttributes[] = {
    {"user_id", T::uuid, kKey},    {"account_id", T::uuid},   {"display_name", T::text},
    {"locale", T::text},           {"timezone", T::text},     {"country", T::text},
    {"age_range", T::text},        {"travel_style", T::text}, {"preferences", T::jsonb},
    {"updated_at", T::timestamptz}};
constexpr LegacyColumn kAccountMetadata[] = {{"account_id", T::uuid, kKey},
                                             {"status", T::text},
                                             {"onboarding_state", T::jsonb},
                                             {"metadata", T::jsonb, false, /*read=*/false},
                                             {"updated_at", T::timestamptz}};
constexpr LegacyColumn kActivityFeedback[] = {
    {"id", T::int8, kKey},      {"user_id", T::uuid},       {"account_id", T::uuid},
    {"activity_slug", T::text}, {"feedback_type", T::text}, {"suggestion_id", T::uuid},
    {"score", T::numeric},      {"metadata", T::jsonb},     {"created_at", T::timestamptz}};
constexpr LegacyColumn kAiSuggestions[] = {
    {"id", T::uuid, kKey},         {"user_id", T::uuid},      {"account_id", T::uuid},
    {"source", T::text},           {"prompt", T::jsonb},      {"model", T::text},
    {"model_params", T::jsonb},    {"suggestions", T::jsonb}, {"status", T::text},
    {"created_at", T::timestamptz}};
constexpr LegacyColumn kOfflineLikes[] = {{"user_id", T::uuid, kKey},
                                          {"activity_slug", T::text, kKey},
                                          {"account_id", T::uuid},
                                          {"payload", T::jsonb},
                                          {"updated_at", T::timestamptz}};
constexpr LegacyColumn kChatbotConversations[] = {
    {"id", T::uuid, kKey},          {"user_id", T::uuid},           {"account_id", T::uuid},
    {"conversation_type", T::text}, {"context", T::jsonb},          {"created_by", T::uuid},
    {"metadata", T::jsonb},         {"created_at", T::timestamptz}, {"updated_at", T::timestamptz},
    {"ended_at", T::timestamptz}};
constexpr LegacyColumn kChatbotMessages[] = {
    {"id", T::uuid, kKey}, {"conversation_id", T::uuid}, {"role", T::text},
    {"content", T::text},  {"metadata", T::jsonb},       {"created_at", T::timestamptz}};
constexpr LegacyColumn kConversationContext[] = {
    {"conversation_id", T::uuid, kKey}, {"summary", T::text}, {"updated_at", T::timestamptz}};
constexpr LegacyColumn kActivities[] = {{"id", T::uuid, kKey}, {"slug", T::text}};

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
    {LegacyTable::activities, "activities", kActivities},
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
static_assert(std::size(kActivities) == col::activities::count_);

// Every relation the bridge expects in its stream, and what becomes of its changes: the one
// place that decides. A relation that matches no line is unknown, and its changes become
// schema_mismatch dead letters (mapping.md rule 6). When the publication follows another table,
// add its line here (a table of kTables, like the catalog `activities`, needs none: the first
// line follows every one of them by name).
struct KnownRelation {
  std::string_view schema;
  std::string_view name;  // empty: every legacy table of kTables, by its name
  RelationRole role;
};
constexpr KnownRelation kKnownRelations[] = {
    {"public", "", RelationRole::legacy},
    // Phase 2 (sql/phase2/20261125800000_phase2_compat.sql) moves the legacy tables here and
    // puts views with their names over the new tables; the publication follows them by OID.
    {"legacy", "", RelationRole::switched},
};

std::optional<LegacyTable> table_named(std::string_view name) {
  for (const auto& t : kTables) {
    if (t.name == name) return t.table;
  }
  return std::nullopt;
}

}  // namespace

std::uint32_t oid_of(PgType type) {
  switch (type) {
    case PgType::uuid:
      return 2950;
    case PgType::text:
      return 25;
    case PgType::timestamptz:
      return 1184;
    case PgType::jsonb:
      return 3802;
    case PgType::int8:
      return 20;
    case PgType::numeric:
      return 1700;
    case PgType::int4:
      return 23;
    case PgType::boolean:
      return 16;
  }
  return 0;
}

JsonKind json_kind_of(PgType type) {
  switch (type) {
    case PgType::jsonb:
      return JsonKind::json;
    case PgType::int8:
    case PgType::numeric:
    case PgType::int4:
      return JsonKind::number;
    case PgType::boolean:
      return JsonKind::boolean;
    default:
      return JsonKind::string;
  }
}

std::string type_name_of_oid(std::uint32_t oid) {
  // The builtin types a legacy column is, or plausibly becomes after an ALTER COLUMN … TYPE.
  static constexpr std::pair<std::uint32_t, std::string_view> kNames[] = {
      {16, "boolean"},
      {17, "bytea"},
      {20, "bigint"},
      {21, "smallint"},
      {23, "integer"},
      {25, "text"},
      {114, "json"},
      {700, "real"},
      {701, "double precision"},
      {1042, "character"},
      {1043, "character varying"},
      {1082, "date"},
      {1114, "timestamp without time zone"},
      {1184, "timestamp with time zone"},
      {1700, "numeric"},
      {2950, "uuid"},
      {3802, "jsonb"},
  };
  for (const auto& [o, name] : kNames) {
    if (o == oid) return std::string(name);
  }
  return "type oid " + std::to_string(oid);
}

const LegacyTableInfo& info(LegacyTable table) {
  return kTables[static_cast<std::size_t>(table)];
}

std::string_view name_of(LegacyTable table) {
  return info(table).name;
}

std::optional<LegacyTable> find_legacy_table(std::string_view schema, std::string_view name) {
  if (schema != "public") return std::nullopt;
  return table_named(name);
}

RelationClass classify_relation(std::string_view schema, std::string_view name) {
  for (const auto& known : kKnownRelations) {
    if (known.schema != schema) continue;
    if (known.name.empty()) {
      if (auto table = table_named(name)) return {known.role, table};
    } else if (known.name == name) {
      return {known.role, std::nullopt};
    }
  }
  return {};
}

std::string_view name_of(RelationRole role) {
  switch (role) {
    case RelationRole::legacy:
      return "legacy";
    case RelationRole::switched:
      return "switched";
    case RelationRole::unknown:
      return "unknown";
  }
  return "unknown";
}

}  // namespace dualwrite::translate
