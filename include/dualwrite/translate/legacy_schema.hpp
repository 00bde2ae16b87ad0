// The legacy tables as the translator sees them: a fixed column order per table.
//
// For: naming legacy columns by constant instead of by string on the hot path. The relation
// cache maps each wire column of a pgoutput Relation onto these positions once per Relation
// message; a change then reads `row[col::activity_feedback::feedback_type]`.
// Not for: DDL (sql/fixture/legacy_schema.sql is the truth) or target tables.
// Thread-safety: constant data.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace dualwrite::translate {

enum class LegacyTable : std::uint8_t {
  account_linkages,
  user_attributes,
  account_metadata,
  activity_feedback,
  ai_suggestions,
  offline_likes,
  chatbot_conversations,
  chatbot_messages,
  conversation_context,
};
inline constexpr std::size_t kLegacyTableCount = 9;

// How a column's text is rendered into JSON (dead letters keep the legacy row as jsonb).
enum class JsonKind : std::uint8_t { string, number, boolean, json };

struct LegacyColumn {
  std::string_view name;
  JsonKind json = JsonKind::string;
  bool key = false;  // part of the primary key (what an UPDATE/DELETE old key carries)
};

struct LegacyTableInfo {
  LegacyTable table;
  std::string_view name;
  std::span<const LegacyColumn> columns;
};

// Column positions, one namespace per table.
namespace col {
namespace account_linkages {
enum : std::uint8_t { id, user_id, account_id, created_at, count_ };
}
namespace user_attributes {
enum : std::uint8_t {
  user_id,
  account_id,
  display_name,
  locale,
  timezone,
  country,
  age_range,
  travel_style,
  preferences,
  updated_at,
  count_
};
}
namespace account_metadata {
enum : std::uint8_t { account_id, status, onboarding_state, metadata, updated_at, count_ };
}
namespace activity_feedback {
enum : std::uint8_t {
  id,
  user_id,
  account_id,
  activity_slug,
  feedback_type,
  suggestion_id,
  score,
  metadata,
  created_at,
  count_
};
}
namespace ai_suggestions {
enum : std::uint8_t {
  id,
  user_id,
  account_id,
  source,
  prompt,
  model,
  model_params,
  suggestions,
  status,
  created_at,
  count_
};
}
namespace offline_likes {
enum : std::uint8_t { user_id, activity_slug, account_id, payload, updated_at, count_ };
}
namespace chatbot_conversations {
enum : std::uint8_t {
  id,
  user_id,
  account_id,
  conversation_type,
  context,
  created_by,
  metadata,
  created_at,
  updated_at,
  ended_at,
  count_
};
}
namespace chatbot_messages {
enum : std::uint8_t { id, conversation_id, role, content, metadata, created_at, count_ };
}
namespace conversation_context {
enum : std::uint8_t { conversation_id, summary, updated_at, count_ };
}
}  // namespace col

inline constexpr std::size_t kMaxLegacyColumns = 10;

const LegacyTableInfo& info(LegacyTable table);
// The table of schema `public` with that name; nullopt for any other relation.
std::optional<LegacyTable> find_legacy_table(std::string_view schema, std::string_view name);
std::string_view name_of(LegacyTable table);

}  // namespace dualwrite::translate
