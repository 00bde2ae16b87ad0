// The legacy tables as the translator sees them: a fixed column order per table, each column's
// type; and the one list of the relations the bridge expects in its stream.
//
// For: naming legacy columns by constant instead of by string on the hot path. The relation
// cache maps each wire column of a pgoutput Relation onto these positions once per Relation
// message, checking that every column the mapping reads is there with its type (a column of
// another name or type is a schema_mismatch, mapping.md rule 6); a change then reads
// `row[col::activity_feedback::feedback_type]`. classify_relation() says what becomes of the
// changes of any relation the stream names (the list is in legacy_schema.cpp, kKnownRelations:
// following another table is one line there).
// Not for: DDL (sql/fixture/legacy_schema.sql is the truth) or target tables.
// Thread-safety: constant data.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
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
  // The catalog: not copied anywhere, followed so that the rows naming a slug get its id
  // whenever it enters the catalog (mapping.md, "activities (the catalog)").
  activities,
};
inline constexpr std::size_t kLegacyTableCount = 10;

// How a column's text is rendered into JSON (dead letters keep the legacy row as jsonb).
enum class JsonKind : std::uint8_t { string, number, boolean, json };

// The builtin PostgreSQL types of legacy columns. Builtin type OIDs are fixed (pg_type.dat), so a
// pgoutput Relation message's type OIDs can be compared with them directly.
enum class PgType : std::uint8_t { uuid, text, timestamptz, jsonb, int8, numeric, int4, boolean };
std::uint32_t oid_of(PgType type);
JsonKind json_kind_of(PgType type);
// The SQL name of a builtin type OID ("character varying"), or "type oid N" for one not known
// here (a user-defined type, say).
std::string type_name_of_oid(std::uint32_t oid);

struct LegacyColumn {
  std::string_view name;
  PgType type = PgType::text;
  bool key = false;  // part of the primary key (what an UPDATE/DELETE old key carries)
  // The mapping reads it: the relation must have it, with this type. false: only carried into
  // dead letters (account_metadata.metadata), its absence or type change nothing.
  bool read = true;
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
// Only what the catalog rule reads; the other columns (title, city, the Phase 0 additions …)
// are not the bridge's concern and may change freely.
namespace activities {
enum : std::uint8_t { id, slug, count_ };
}
}  // namespace col

inline constexpr std::size_t kMaxLegacyColumns = 10;

const LegacyTableInfo& info(LegacyTable table);
// The table of schema `public` with that name; nullopt for any other relation.
std::optional<LegacyTable> find_legacy_table(std::string_view schema, std::string_view name);
std::string_view name_of(LegacyTable table);

// What becomes of the changes of a relation in the stream.
enum class RelationRole : std::uint8_t {
  legacy,    // a legacy table (schema public): translated by mapping.md
  switched,  // a legacy table the Phase 2 switch moved to schema `legacy`: its writes (the
             // rollback's back-copy, the JSON store left in account_metadata) come from the new
             // tables and are not translated again
  unknown,   // anything else (a renamed legacy table, a table added to the publication that the
             // bridge does not follow): schema_mismatch dead letters, never silently dropped
};
struct RelationClass {
  RelationRole role = RelationRole::unknown;
  std::optional<LegacyTable> table;  // legacy and switched
};
RelationClass classify_relation(std::string_view schema, std::string_view name);
std::string_view name_of(RelationRole role);

}  // namespace dualwrite::translate
