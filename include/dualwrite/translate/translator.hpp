// The translator: one legacy change in, the target writes of mapping.md out.
//
// For: every rule of mapping.md that can be decided from the change alone: enum mapping,
// derived ids (rule 1), keys from the old key (rule 2), JSON payload splitting with simdjson,
// unchanged TOAST (rule 5), and the dead-letter reasons unknown_enum_value, invalid_payload and
// truncate.
// What needs the target's state (account resolution, the catalog, chat sequences, like merges,
// missing parents) is expressed in the statements of each OpKind and decided by apply.
// Not for: I/O. A rejected change emits nothing.
// Thread-safety: a Translator is used by one thread (it owns parser and scratch buffers).
#pragma once

#include <simdjson.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dualwrite/translate/change.hpp"
#include "dualwrite/translate/ops.hpp"
#include "dualwrite/translate/uuid.hpp"

namespace dualwrite::translate {

enum class DeadLetterReason : std::uint8_t {
  unlinked_user,
  unknown_enum_value,
  invalid_payload,
  missing_parent,
  truncate,
  apply_error,
  // The stream's relation lacks a column the mapping reads, has it with another type, or is not
  // a table the bridge follows (relation_cache.hpp); decided before translation.
  schema_mismatch,
};
inline constexpr std::size_t kDeadLetterReasonCount = 7;
std::string_view name_of(DeadLetterReason reason);
// "unlinked_user, unknown_enum_value, …": every reason, for messages that list them.
std::string dead_letter_reason_names();
std::optional<DeadLetterReason> parse_dead_letter_reason(std::string_view text);

struct Rejection {
  DeadLetterReason reason;
  std::string detail;
};

// Receives the ops of a translated change: the parameters of the kind's statement and the keys
// the op touches (ops.hpp: what apply may reorder). Views point into the translator's buffers
// and stay valid until the next translate().
class OpSink {
 public:
  virtual ~OpSink() = default;
  virtual void op(OpKind kind, std::span<const Param> params, std::span<const OpKey> keys) = 0;
};

// One level of a JSON document, parsed with simdjson's On-Demand API: each member's exact
// input text (`raw`), so that numbers and nested values are carried byte for byte.
struct JsonField {
  std::string key;
  std::string_view raw;
  simdjson::ondemand::json_type type = simdjson::ondemand::json_type::null;
  std::string text;  // unescaped, for strings
};

class FlatJson {
 public:
  // The members of a top-level object; false when `json` is not one.
  bool object(std::string_view json, std::vector<JsonField>& out);
  // The elements of a top-level array; false when `json` is not one.
  bool array(std::string_view json, std::vector<std::string_view>& out);

 private:
  simdjson::ondemand::parser parser_;
  std::string buffer_;  // padded copy of the input; `raw` views point into it
};

class Translator {
 public:
  Translator();

  // Translates `change`. On success its ops went to `sink`; otherwise nothing did and the
  // rejection says why (the caller writes the dead letter).
  std::optional<Rejection> translate(const Change& change, OpSink& sink);

 private:
  std::optional<Rejection> account_linkages(const Change& c, OpSink& sink);
  std::optional<Rejection> account_metadata(const Change& c, OpSink& sink);
  std::optional<Rejection> user_attributes(const Change& c, OpSink& sink);
  std::optional<Rejection> activity_feedback(const Change& c, OpSink& sink);
  std::optional<Rejection> ai_suggestions(const Change& c, OpSink& sink);
  std::optional<Rejection> suggestion_items(const std::string& run_id,
                                            std::string_view suggestions);
  std::optional<Rejection> offline_likes(const Change& c, OpSink& sink);
  std::optional<Rejection> chatbot_conversations(const Change& c, OpSink& sink);
  std::optional<Rejection> chatbot_messages(const Change& c, OpSink& sink);
  std::optional<Rejection> conversation_context(const Change& c, OpSink& sink);
  std::optional<Rejection> activities(const Change& c, OpSink& sink);

  FlatJson outer_json_, inner_json_;
  std::vector<JsonField> fields_, inner_fields_;
  std::vector<std::string_view> elements_;
  // Scratch buffers the emitted Params point into; valid until the next translate().
  std::string json_a_, json_b_, json_c_, json_d_, number_;
  UuidText id_a_{}, id_b_{};
};

// The row keys (ops.hpp) the ops of a change write: what a dead letter of a refused change is
// ordered by, so that it sits where the change's ops would have. At most two: an UPDATE that
// changed the primary key names the old row too.
class RowKeys {
 public:
  explicit RowKeys(const Change& change);
  RowKeys(const RowKeys&) = delete;
  RowKeys& operator=(const RowKeys&) = delete;
  std::span<const OpKey> keys() const { return {keys_.data(), count_}; }

 private:
  void add(KeySpace space, std::string text);
  std::array<std::string, 2> text_;
  std::array<OpKey, 2> keys_{};
  std::size_t count_ = 0;
};

// The legacy row of a change as a JSON object (dead letters keep new_row and old_key as
// jsonb). Unchanged-TOAST and absent columns are left out.
std::string row_to_json(LegacyTable table, const Row& row);

}  // namespace dualwrite::translate
