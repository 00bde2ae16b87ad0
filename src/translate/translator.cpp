#include "dualwrite/translate/translator.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "dualwrite/decode/json.hpp"
#include "dualwrite/translate/vocabulary.hpp"

namespace dualwrite::translate {

namespace {

using State = Value::State;

std::optional<Rejection> reject(DeadLetterReason reason, std::string detail) {
  return Rejection{reason, std::move(detail)};
}

// Text, or NULL for NULL, absent and unchanged. For NOT NULL legacy columns, NULL then means
// "keep" in the target statement (ops.hpp).
Param param(const Value& v) {
  return v.is_text() ? Param::of(v.text) : Param::null();
}

// Checks a short text column against its allowed values; the detail names them all.
template <std::size_t N>
std::optional<Rejection> check_enum(const Value& v, std::string_view column,
                                    const std::array<std::string_view, N>& allowed,
                                    bool nullable = false) {
  if (v.is_unchanged() || (nullable && (v.is_null() || v.state == State::absent))) {
    return std::nullopt;
  }
  if (v.is_text() && std::find(allowed.begin(), allowed.end(), v.text) != allowed.end()) {
    return std::nullopt;
  }
  std::string detail(column);
  detail += v.is_text() ? " '" + std::string(v.text) + "'" : std::string(" NULL");
  detail += " is not one of ";
  for (std::size_t i = 0; i < N; ++i) {
    if (i) detail += ", ";
    detail += allowed[i];
  }
  return reject(DeadLetterReason::unknown_enum_value, std::move(detail));
}

std::optional<Rejection> require(const Value& v, std::string_view column) {
  if (v.is_text()) return std::nullopt;
  return reject(DeadLetterReason::invalid_payload,
                std::string(column) + (v.is_null() ? " is NULL" : " is missing"));
}

// The keys of an op (ops.hpp): the legacy row it comes from, written.
OpKey row_key(KeySpace space, std::string_view text) {
  return {space, Access::write, text};
}
// The account an op's rows belong to: named by the legacy row (its foreign keys need it to
// exist), or resolved from the user's link (rule 3) when the row has no account_id.
OpKey account_of(const Value& account_id, std::string_view user_id) {
  return account_id.is_text() ? OpKey{KeySpace::account, Access::read, account_id.text}
                              : OpKey{KeySpace::user, Access::read, user_id};
}

void append_key_value(std::string& out, std::string_view key, std::string_view raw_json) {
  if (out.size() > 1) out += ',';
  decode::append_json_string(key, out);
  out += ':';
  out += raw_json;
}

using vocabulary::interaction_type_of;
using vocabulary::kAccountStatus;
using vocabulary::kAgeRange;
using vocabulary::kFeedbackType;
using vocabulary::kRole;
using vocabulary::kRunStatus;
using vocabulary::kSessionType;
using vocabulary::kSource;
using vocabulary::trigger_of;

namespace od = simdjson::ondemand;

// The exact text of a JSON value, as it stands in the input: nested objects and arrays, and
// above all numbers, are copied byte for byte (jsonb prints a numeric with its scale, so
// 0.150 must stay 0.150, which re-serialising a double would not do).
simdjson::error_code raw_of(od::value value, std::string_view& out) {
  od::json_type type;
  if (auto e = value.type().get(type)) return e;
  if (type == od::json_type::object) {
    od::object o;
    if (auto e = value.get_object().get(o)) return e;
    return o.raw_json().get(out);
  }
  if (type == od::json_type::array) {
    od::array a;
    if (auto e = value.get_array().get(a)) return e;
    return a.raw_json().get(out);
  }
  out = value.raw_json_token();
  while (!out.empty() &&
         (out.back() == ' ' || out.back() == '\n' || out.back() == '\t' || out.back() == '\r')) {
    out.remove_suffix(1);
  }
  return simdjson::SUCCESS;
}

}  // namespace

bool FlatJson::object(std::string_view json, std::vector<JsonField>& out) {
  out.clear();
  buffer_.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  buffer_.assign(json);
  od::document doc;
  if (parser_.iterate(buffer_.data(), buffer_.size(), buffer_.capacity()).get(doc)) return false;
  od::object obj;
  if (doc.get_object().get(obj)) return false;
  for (auto field : obj) {
    JsonField f;
    std::string_view key;
    od::value value;
    if (field.unescaped_key().get(key) || field.value().get(value)) return false;
    f.key = key;
    if (value.type().get(f.type)) return false;
    if (f.type == od::json_type::string) {
      std::string_view text;
      f.raw = value.raw_json_token();
      if (value.get_string().get(text)) return false;
      f.text = text;
      while (!f.raw.empty() && f.raw.back() != '"') f.raw.remove_suffix(1);
    } else if (raw_of(value, f.raw)) {
      return false;
    }
    out.push_back(std::move(f));
  }
  return true;
}

bool FlatJson::array(std::string_view json, std::vector<std::string_view>& out) {
  out.clear();
  buffer_.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  buffer_.assign(json);
  od::document doc;
  if (parser_.iterate(buffer_.data(), buffer_.size(), buffer_.capacity()).get(doc)) return false;
  od::array arr;
  if (doc.get_array().get(arr)) return false;
  for (auto element : arr) {
    od::value value;
    std::string_view raw;
    if (element.get(value) || raw_of(value, raw)) return false;
    out.push_back(raw);
  }
  return true;
}

namespace {

bool is_int32_literal(std::string_view text, std::int64_t& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size() && value >= INT32_MIN &&
         value <= INT32_MAX;
}

}  // namespace

std::string_view name_of(Operation op) {
  switch (op) {
    case Operation::insert:
      return "insert";
    case Operation::update:
      return "update";
    case Operation::delete_:
      return "delete";
    case Operation::truncate:
      return "truncate";
  }
  return "unknown";
}

std::string_view name_of(DeadLetterReason reason) {
  switch (reason) {
    case DeadLetterReason::unlinked_user:
      return "unlinked_user";
    case DeadLetterReason::unknown_enum_value:
      return "unknown_enum_value";
    case DeadLetterReason::invalid_payload:
      return "invalid_payload";
    case DeadLetterReason::missing_parent:
      return "missing_parent";
    case DeadLetterReason::truncate:
      return "truncate";
    case DeadLetterReason::apply_error:
      return "apply_error";
    case DeadLetterReason::schema_mismatch:
      return "schema_mismatch";
  }
  return "unknown";
}

std::optional<DeadLetterReason> parse_dead_letter_reason(std::string_view text) {
  for (std::size_t i = 0; i < kDeadLetterReasonCount; ++i) {
    const auto r = static_cast<DeadLetterReason>(i);
    if (name_of(r) == text) return r;
  }
  return std::nullopt;
}

std::string dead_letter_reason_names() {
  std::string out;
  for (std::size_t i = 0; i < kDeadLetterReasonCount; ++i) {
    if (i > 0) out += ", ";
    out += name_of(static_cast<DeadLetterReason>(i));
  }
  return out;
}

Translator::Translator() = default;

std::optional<Rejection> Translator::translate(const Change& c, OpSink& sink) {
  if (c.op == Operation::truncate) {
    return reject(DeadLetterReason::truncate,
                  "TRUNCATE of " + std::string(name_of(c.table)) + " is never mirrored");
  }
  switch (c.table) {
    case LegacyTable::account_linkages:
      return account_linkages(c, sink);
    case LegacyTable::user_attributes:
      return user_attributes(c, sink);
    case LegacyTable::account_metadata:
      return account_metadata(c, sink);
    case LegacyTable::activity_feedback:
      return activity_feedback(c, sink);
    case LegacyTable::ai_suggestions:
      return ai_suggestions(c, sink);
    case LegacyTable::offline_likes:
      return offline_likes(c, sink);
    case LegacyTable::chatbot_conversations:
      return chatbot_conversations(c, sink);
    case LegacyTable::chatbot_messages:
      return chatbot_messages(c, sink);
    case LegacyTable::conversation_context:
      return conversation_context(c, sink);
    case LegacyTable::activities:
      return activities(c, sink);
  }
  return reject(DeadLetterReason::invalid_payload, "unknown legacy table");
}

// account_linkages -> accounts, account_user_links
std::optional<Rejection> Translator::account_linkages(const Change& c, OpSink& sink) {
  namespace k = col::account_linkages;
  if (c.op == Operation::delete_) {
    if (auto r = require(c.old_key[k::id], "id")) return r;
    // Rule 4 (a user's deletion cascades in any order) is kept by apply: the link_delete
    // statement remembers the deleted links for the rest of the target transaction.
    const Param p[] = {Param::of(c.old_key[k::id].text)};
    // The user the link leaves is not in the stream (the old row carries only the id): ordered
    // against everything, like a link UPDATE.
    const OpKey keys[] = {row_key(KeySpace::account_linkages, c.old_key[k::id].text),
                          {KeySpace::everything, Access::write, {}}};
    sink.op(OpKind::link_delete, p, keys);
    return std::nullopt;
  }
  const Row& row = c.new_row;
  for (auto [i, name] : {std::pair{k::id, "id"},
                         {k::user_id, "user_id"},
                         {k::account_id, "account_id"},
                         {k::created_at, "created_at"}}) {
    if (auto r = require(row[i], name)) return r;
  }
  if (c.has_old_key && c.old_key[k::id].is_text() && c.old_key[k::id].text != row[k::id].text) {
    const Param old[] = {Param::of(c.old_key[k::id].text)};
    const OpKey old_keys[] = {row_key(KeySpace::account_linkages, c.old_key[k::id].text),
                              {KeySpace::everything, Access::write, {}}};
    sink.op(OpKind::link_delete, old, old_keys);
  }
  const Param p[] = {param(row[k::id]), param(row[k::account_id]), param(row[k::user_id]),
                     param(row[k::created_at])};
  // A link decides how its user's rows resolve their account. An UPDATE may also leave a user
  // whom the stream does not name (the old row carries only the id): it orders everything.
  const OpKey keys[] = {row_key(KeySpace::account_linkages, row[k::id].text),
                        {KeySpace::user, Access::write, row[k::user_id].text},
                        {KeySpace::account, Access::write, row[k::account_id].text},
                        {KeySpace::everything, Access::write, {}}};
  sink.op(OpKind::link_put, p, std::span(keys).first(c.op == Operation::update ? 4 : 3));
  return std::nullopt;
}

// account_metadata -> accounts (status, onboarding_state, updated_at)
std::optional<Rejection> Translator::account_metadata(const Change& c, OpSink& sink) {
  namespace k = col::account_metadata;
  if (c.op == Operation::delete_) return std::nullopt;  // mapping.md: DELETE does nothing
  const Row& row = c.new_row;
  if (auto r = require(row[k::account_id], "account_id")) return r;
  if (auto r = check_enum(row[k::status], "status", kAccountStatus)) return r;
  if (auto r = require(row[k::updated_at], "updated_at")) return r;
  const Param p[] = {param(row[k::account_id]), param(row[k::status]),
                     param(row[k::onboarding_state]), param(row[k::updated_at])};
  const OpKey keys[] = {row_key(KeySpace::account_metadata, row[k::account_id].text),
                        {KeySpace::account, Access::write, row[k::account_id].text}};
  sink.op(OpKind::account_metadata_put, p, keys);
  return std::nullopt;
}

// user_attributes -> account_profiles, account_settings
std::optional<Rejection> Translator::user_attributes(const Change& c, OpSink& sink) {
  namespace k = col::user_attributes;
  if (c.op == Operation::delete_) {
    if (auto r = require(c.old_key[k::user_id], "user_id")) return r;
    const Param p[] = {Param::of(c.old_key[k::user_id].text)};
    const OpKey keys[] = {row_key(KeySpace::user_attributes, c.old_key[k::user_id].text),
                          {KeySpace::user, Access::read, c.old_key[k::user_id].text}};
    sink.op(OpKind::profile_delete, p, keys);
    return std::nullopt;
  }
  const Row& row = c.new_row;
  if (auto r = require(row[k::user_id], "user_id")) return r;
  if (auto r = require(row[k::updated_at], "updated_at")) return r;
  if (auto r = check_enum(row[k::age_range], "age_range", kAgeRange, /*nullable=*/true)) return r;

  Param notifications = Param::null(), feature_flags = Param::null(), rest = Param::null();
  const Value& prefs = row[k::preferences];
  if (prefs.is_text()) {
    if (!outer_json_.object(prefs.text, fields_)) {
      return reject(DeadLetterReason::invalid_payload, "preferences is not a JSON object");
    }
    json_a_ = "{}";
    json_b_ = "{}";
    json_c_ = "{";
    for (const auto& field : fields_) {
      const bool is_notifications = field.key == "notifications";
      if (is_notifications || field.key == "feature_flags") {
        if (field.type != simdjson::ondemand::json_type::object) {
          return reject(DeadLetterReason::invalid_payload,
                        "preferences." + field.key + " is not a JSON object");
        }
        (is_notifications ? json_a_ : json_b_) = field.raw;
      } else {
        append_key_value(json_c_, field.key, field.raw);
      }
    }
    json_c_ += '}';
    notifications = Param::of(json_a_);
    feature_flags = Param::of(json_b_);
    rest = Param::of(json_c_);
  } else if (!prefs.is_unchanged()) {
    return reject(DeadLetterReason::invalid_payload, "preferences is NULL");
  }

  unsigned keep_mask = 0;
  const std::uint8_t text_columns[] = {k::display_name, k::locale,    k::timezone,
                                       k::country,      k::age_range, k::travel_style};
  for (unsigned bit = 0; bit < 6; ++bit) {
    if (row[text_columns[bit]].is_unchanged()) keep_mask |= 1u << bit;
  }
  number_ = std::to_string(keep_mask);
  const Param p[] = {param(row[k::user_id]),
                     param(row[k::account_id]),
                     param(row[k::display_name]),
                     param(row[k::locale]),
                     param(row[k::timezone]),
                     param(row[k::country]),
                     param(row[k::age_range]),
                     param(row[k::travel_style]),
                     param(row[k::updated_at]),
                     Param::of(number_),
                     notifications,
                     feature_flags,
                     rest};
  const OpKey keys[] = {row_key(KeySpace::user_attributes, row[k::user_id].text),
                        account_of(row[k::account_id], row[k::user_id].text)};
  sink.op(OpKind::profile_put, p, keys);
  return std::nullopt;
}

// activity_feedback -> activity_interactions (+ interaction_sources, recommendation_items)
std::optional<Rejection> Translator::activity_feedback(const Change& c, OpSink& sink) {
  namespace k = col::activity_feedback;
  if (c.op == Operation::delete_) {
    if (auto r = require(c.old_key[k::id], "id")) return r;
    id_a_ = mapping_uuid("activity_feedback:" + std::string(c.old_key[k::id].text));
    const Param p[] = {Param::of(view(id_a_))};
    const OpKey keys[] = {row_key(KeySpace::activity_feedback, view(id_a_))};
    sink.op(OpKind::feedback_delete, p, keys);
    return std::nullopt;
  }
  const Row& row = c.new_row;
  for (auto [i, name] : {std::pair{k::id, "id"},
                         {k::user_id, "user_id"},
                         {k::activity_slug, "activity_slug"},
                         {k::created_at, "created_at"}}) {
    if (auto r = require(row[i], name)) return r;
  }
  if (auto r = check_enum(row[k::feedback_type], "feedback_type", kFeedbackType)) return r;
  if (row[k::feedback_type].is_unchanged()) {
    return reject(DeadLetterReason::invalid_payload, "feedback_type is missing");
  }
  const std::string_view feedback_type = row[k::feedback_type].text;

  Param metadata = param(row[k::metadata]);
  if (feedback_type == "dislike" && row[k::metadata].is_text()) {
    if (!outer_json_.object(row[k::metadata].text, fields_)) {
      return reject(DeadLetterReason::invalid_payload,
                    "metadata of a dislike is not a JSON object (legacy_feedback_type cannot "
                    "be added)");
    }
    json_a_ = "{";
    for (const auto& field : fields_) {
      if (field.key != "legacy_feedback_type") append_key_value(json_a_, field.key, field.raw);
    }
    append_key_value(json_a_, "legacy_feedback_type", "\"dislike\"");
    json_a_ += '}';
    metadata = Param::of(json_a_);
  }

  Param source_id = Param::null(), suggestion_id = Param::null();
  if (row[k::suggestion_id].is_text()) {
    id_b_ = mapping_uuid("interaction_sources:recommendation:" +
                         std::string(row[k::suggestion_id].text));
    source_id = Param::of(view(id_b_));
    suggestion_id = Param::of(row[k::suggestion_id].text);
  }

  if (c.op == Operation::update && c.has_old_key && c.old_key[k::id].is_text() &&
      c.old_key[k::id].text != row[k::id].text) {
    const auto old_id = mapping_uuid("activity_feedback:" + std::string(c.old_key[k::id].text));
    const Param old[] = {Param::of(view(old_id))};
    const OpKey old_keys[] = {row_key(KeySpace::activity_feedback, view(old_id))};
    sink.op(OpKind::feedback_delete, old, old_keys);
  }
  id_a_ = mapping_uuid("activity_feedback:" + std::string(row[k::id].text));
  const Param p[] = {Param::of(view(id_a_)),
                     param(row[k::user_id]),
                     param(row[k::account_id]),
                     param(row[k::activity_slug]),
                     Param::of(interaction_type_of(feedback_type)),
                     source_id,
                     suggestion_id,
                     param(row[k::score]),
                     metadata,
                     param(row[k::created_at]),
                     Param::of(feedback_type)};
  const OpKey keys[] = {row_key(KeySpace::activity_feedback, view(id_a_)),
                        account_of(row[k::account_id], row[k::user_id].text)};
  sink.op(c.op == Operation::insert ? OpKind::feedback_insert : OpKind::feedback_update, p, keys);
  return std::nullopt;
}

namespace {

// A suggestion's fields the mapping reads (nullptr: absent).
struct SuggestionFields {
  const JsonField* slug = nullptr;
  const JsonField* features = nullptr;
  const JsonField* score = nullptr;
  const JsonField* reason = nullptr;
};

SuggestionFields suggestion_fields(const std::vector<JsonField>& fields) {
  SuggestionFields out;
  for (const auto& f : fields) {
    if (f.key == "slug")
      out.slug = &f;
    else if (f.key == "features")
      out.features = &f;
    else if (f.key == "score")
      out.score = &f;
    else if (f.key == "reason")
      out.reason = &f;
  }
  return out;
}

// A suggestion's ranking_features: its features, then its own score and reason (which win over
// keys of the same name inside features).
std::string ranking_features(const SuggestionFields& s) {
  std::string ranking = "{";
  if (s.features != nullptr) {
    std::string_view body = s.features->raw;
    body.remove_prefix(1);  // '{'
    body.remove_suffix(1);  // '}'
    std::size_t first = body.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos) {
      if (s.score != nullptr || s.reason != nullptr) {
        // Only then are the keys of features looked at one by one.
        FlatJson nested;
        std::vector<JsonField> nested_fields;
        nested.object(s.features->raw, nested_fields);
        for (const auto& nf : nested_fields) {
          if ((nf.key == "score" && s.score) || (nf.key == "reason" && s.reason)) continue;
          append_key_value(ranking, nf.key, nf.raw);
        }
      } else {
        ranking.append(body.substr(first));
      }
    }
  }
  if (s.score != nullptr) append_key_value(ranking, "score", s.score->raw);
  if (s.reason != nullptr) append_key_value(ranking, "reason", s.reason->raw);
  ranking += '}';
  return ranking;
}

}  // namespace

// The run's items from its suggestions array: json_a_ the items as a JSON array, number_ how
// many; or why the row is refused.
std::optional<Rejection> Translator::suggestion_items(const std::string& run_id,
                                                      std::string_view suggestions) {
  if (!outer_json_.array(suggestions, elements_)) {
    return reject(DeadLetterReason::invalid_payload, "suggestions is not a JSON array");
  }
  json_a_ = "[";
  std::size_t position = 0;
  for (const auto element : elements_) {
    ++position;
    SuggestionFields fields;
    if (inner_json_.object(element, inner_fields_)) fields = suggestion_fields(inner_fields_);
    if (fields.slug == nullptr || fields.slug->type != simdjson::ondemand::json_type::string) {
      return reject(DeadLetterReason::invalid_payload, "suggestions[" + std::to_string(position) +
                                                           "] is not an object with a string slug");
    }
    if (fields.features != nullptr &&
        fields.features->type != simdjson::ondemand::json_type::object) {
      return reject(DeadLetterReason::invalid_payload,
                    "suggestions[" + std::to_string(position) + "].features is not an object");
    }
    const std::string ranking = ranking_features(fields);
    const auto item_id = mapping_uuid("ai_suggestions:" + run_id + ":" + std::to_string(position));
    if (position > 1) json_a_ += ',';
    json_a_ += "{\"id\":\"";
    json_a_.append(item_id.data(), item_id.size());
    json_a_ += "\",\"position\":" + std::to_string(position) + ",\"activity_slug\":";
    json_a_.append(fields.slug->raw);
    json_a_ += ",\"ranking_features\":" + ranking + "}";
  }
  json_a_ += ']';
  number_ = std::to_string(position);
  return std::nullopt;
}

// ai_suggestions -> recommendation_runs, recommendation_items
std::optional<Rejection> Translator::ai_suggestions(const Change& c, OpSink& sink) {
  namespace k = col::ai_suggestions;
  if (c.op == Operation::delete_) {
    if (auto r = require(c.old_key[k::id], "id")) return r;
    const Param p[] = {Param::of(c.old_key[k::id].text)};
    const OpKey keys[] = {row_key(KeySpace::ai_suggestions, c.old_key[k::id].text)};
    sink.op(OpKind::suggestion_delete, p, keys);
    return std::nullopt;
  }
  const Row& row = c.new_row;
  for (auto [i, name] :
       {std::pair{k::id, "id"}, {k::user_id, "user_id"}, {k::created_at, "created_at"}}) {
    if (auto r = require(row[i], name)) return r;
  }
  if (auto r = check_enum(row[k::source], "source", kSource)) return r;
  if (auto r = check_enum(row[k::status], "status", kRunStatus)) return r;

  Param items = Param::null(), item_count = Param::null();
  if (row[k::suggestions].is_text()) {
    if (auto r = suggestion_items(std::string(row[k::id].text), row[k::suggestions].text)) {
      return r;
    }
    items = Param::of(json_a_);
    item_count = Param::of(number_);
  } else if (!row[k::suggestions].is_unchanged()) {
    return reject(DeadLetterReason::invalid_payload, "suggestions is NULL");
  }

  const Param p[] = {
      param(row[k::id]),
      param(row[k::user_id]),
      param(row[k::account_id]),
      row[k::source].is_text() ? Param::of(trigger_of(row[k::source].text)) : Param::null(),
      param(row[k::prompt]),
      param(row[k::model]),
      param(row[k::model_params]),
      param(row[k::status]),
      param(row[k::created_at]),
      items,
      item_count,
      Param::of(row[k::model].is_unchanged() ? "true" : "false")};
  const OpKey keys[] = {row_key(KeySpace::ai_suggestions, row[k::id].text),
                        account_of(row[k::account_id], row[k::user_id].text)};
  sink.op(OpKind::suggestion_put, p, keys);
  return std::nullopt;
}

// offline_likes -> offline_interactions
std::optional<Rejection> Translator::offline_likes(const Change& c, OpSink& sink) {
  namespace k = col::offline_likes;
  auto id_of = [](const Row& r) {
    return mapping_uuid("offline_likes:" + std::string(r[k::user_id].text) + ":" +
                        std::string(r[k::activity_slug].text));
  };
  if (c.op == Operation::delete_) {
    if (auto r = require(c.old_key[k::user_id], "user_id")) return r;
    if (auto r = require(c.old_key[k::activity_slug], "activity_slug")) return r;
    id_a_ = id_of(c.old_key);
    const Param p[] = {Param::of(view(id_a_))};
    const OpKey keys[] = {row_key(KeySpace::offline_likes, view(id_a_))};
    sink.op(OpKind::offline_delete, p, keys);
    return std::nullopt;
  }
  const Row& row = c.new_row;
  for (auto [i, name] : {std::pair{k::user_id, "user_id"},
                         {k::activity_slug, "activity_slug"},
                         {k::updated_at, "updated_at"}}) {
    if (auto r = require(row[i], name)) return r;
  }
  if (c.has_old_key && c.old_key[k::user_id].is_text() && c.old_key[k::activity_slug].is_text()) {
    id_b_ = id_of(c.old_key);
    const Param old[] = {Param::of(view(id_b_))};
    const OpKey old_keys[] = {row_key(KeySpace::offline_likes, view(id_b_))};
    sink.op(OpKind::offline_delete, old, old_keys);
  }
  id_a_ = id_of(row);
  const Param p[] = {Param::of(view(id_a_)),    param(row[k::user_id]),
                     param(row[k::account_id]), param(row[k::activity_slug]),
                     param(row[k::payload]),    param(row[k::updated_at])};
  const OpKey keys[] = {row_key(KeySpace::offline_likes, view(id_a_)),
                        account_of(row[k::account_id], row[k::user_id].text)};
  sink.op(OpKind::offline_put, p, keys);
  return std::nullopt;
}

// chatbot_conversations -> chat_sessions
std::optional<Rejection> Translator::chatbot_conversations(const Change& c, OpSink& sink) {
  namespace k = col::chatbot_conversations;
  if (c.op == Operation::delete_) {
    if (auto r = require(c.old_key[k::id], "id")) return r;
    const Param p[] = {Param::of(c.old_key[k::id].text)};
    const OpKey keys[] = {row_key(KeySpace::chatbot_conversations, c.old_key[k::id].text)};
    sink.op(OpKind::session_delete, p, keys);
    return std::nullopt;
  }
  const Row& row = c.new_row;
  for (auto [i, name] : {std::pair{k::id, "id"},
                         {k::user_id, "user_id"},
                         {k::created_at, "created_at"},
                         {k::updated_at, "updated_at"}}) {
    if (auto r = require(row[i], name)) return r;
  }
  if (auto r = check_enum(row[k::conversation_type], "conversation_type", kSessionType)) return r;
  const Param p[] = {param(row[k::id]),         param(row[k::user_id]),
                     param(row[k::account_id]), param(row[k::conversation_type]),
                     param(row[k::context]),    param(row[k::created_by]),
                     param(row[k::metadata]),   param(row[k::created_at]),
                     param(row[k::updated_at]), param(row[k::ended_at])};
  const OpKey keys[] = {row_key(KeySpace::chatbot_conversations, row[k::id].text),
                        account_of(row[k::account_id], row[k::user_id].text)};
  sink.op(OpKind::session_put, p, keys);
  return std::nullopt;
}

// chatbot_messages -> chat_messages
std::optional<Rejection> Translator::chatbot_messages(const Change& c, OpSink& sink) {
  namespace k = col::chatbot_messages;
  if (c.op == Operation::delete_) {
    if (auto r = require(c.old_key[k::id], "id")) return r;
    const Param p[] = {Param::of(c.old_key[k::id].text)};
    // The session of the deleted message is not in the stream, and removing a session's last
    // message changes the sequence its next message gets: ordered against every message put.
    const OpKey keys[] = {row_key(KeySpace::chatbot_messages, c.old_key[k::id].text),
                          {KeySpace::message_order, Access::write, {}}};
    sink.op(OpKind::message_delete, p, keys);
    return std::nullopt;
  }
  const Row& row = c.new_row;
  for (auto [i, name] : {std::pair{k::id, "id"},
                         {k::conversation_id, "conversation_id"},
                         {k::created_at, "created_at"}}) {
    if (auto r = require(row[i], name)) return r;
  }
  if (auto r = check_enum(row[k::role], "role", kRole)) return r;

  Param tool_calls = Param::null(), latency = Param::null(), metadata = Param::null();
  if (row[k::metadata].is_text()) {
    if (!outer_json_.object(row[k::metadata].text, fields_)) {
      return reject(DeadLetterReason::invalid_payload, "metadata is not a JSON object");
    }
    json_c_ = "{";
    for (const auto& field : fields_) {
      if (field.key == "tool_calls") {
        json_a_ = field.raw;
        tool_calls = Param::of(json_a_);
        continue;
      }
      std::int64_t ms = 0;
      // An integer that fits the target's integer column moves out of metadata; anything else
      // stays in metadata, so nothing the legacy row held is lost.
      if (field.key == "latency_ms" && field.type == simdjson::ondemand::json_type::number &&
          is_int32_literal(field.raw, ms)) {
        number_ = std::to_string(ms);
        latency = Param::of(number_);
        continue;
      }
      append_key_value(json_c_, field.key, field.raw);
    }
    json_c_ += '}';
    metadata = Param::of(json_c_);
  } else if (!row[k::metadata].is_unchanged()) {
    return reject(DeadLetterReason::invalid_payload, "metadata is NULL");
  }
  const Param p[] = {param(row[k::id]),
                     param(row[k::conversation_id]),
                     param(row[k::role]),
                     param(row[k::content]),
                     tool_calls,
                     latency,
                     metadata,
                     param(row[k::created_at])};
  const OpKey keys[] = {
      row_key(KeySpace::chatbot_messages, row[k::id].text),
      {KeySpace::chatbot_conversations, Access::read, row[k::conversation_id].text},
      {KeySpace::message_order, Access::ordered_write, row[k::conversation_id].text},
      {KeySpace::message_order, Access::read, {}}};
  sink.op(OpKind::message_put, p, keys);
  return std::nullopt;
}

// conversation_context -> chat_summaries
std::optional<Rejection> Translator::conversation_context(const Change& c, OpSink& sink) {
  namespace k = col::conversation_context;
  if (c.op == Operation::delete_) {
    if (auto r = require(c.old_key[k::conversation_id], "conversation_id")) return r;
    const Param p[] = {Param::of(c.old_key[k::conversation_id].text)};
    const OpKey keys[] = {
        row_key(KeySpace::conversation_context, c.old_key[k::conversation_id].text)};
    sink.op(OpKind::summary_delete, p, keys);
    return std::nullopt;
  }
  const Row& row = c.new_row;
  if (auto r = require(row[k::conversation_id], "conversation_id")) return r;
  if (auto r = require(row[k::updated_at], "updated_at")) return r;
  const Param p[] = {param(row[k::conversation_id]), param(row[k::summary]),
                     param(row[k::updated_at])};
  const OpKey keys[] = {
      row_key(KeySpace::conversation_context, row[k::conversation_id].text),
      {KeySpace::chatbot_conversations, Access::read, row[k::conversation_id].text}};
  sink.op(OpKind::summary_put, p, keys);
  return std::nullopt;
}

// activities (the catalog) -> activity_id of interactions and recommendation items
std::optional<Rejection> Translator::activities(const Change& c, OpSink& sink) {
  namespace k = col::activities;
  // A slug that leaves the catalog leaves what the foreign key's ON DELETE says (SET NULL,
  // done by the database in the same transaction): nothing to write.
  if (c.op == Operation::delete_) return std::nullopt;
  const Row& row = c.new_row;
  if (auto r = require(row[k::id], "id")) return r;
  // Only the id: the statement reads the activity's slug from the catalog as it is when it runs
  // (a later change may already have renamed or deleted it), which makes the outcome the same
  // whatever order catalog and feedback changes are applied in.
  const Param p[] = {param(row[k::id])};
  const OpKey keys[] = {row_key(KeySpace::activities, row[k::id].text)};
  sink.op(OpKind::activity_put, p, keys);
  return std::nullopt;
}

static_assert(static_cast<int>(KeySpace::account_linkages) ==
                      static_cast<int>(LegacyTable::account_linkages) &&
                  static_cast<int>(KeySpace::activities) ==
                      static_cast<int>(LegacyTable::activities),
              "a legacy table's row keys live in the key space of the same number");

void RowKeys::add(KeySpace space, std::string text) {
  for (std::size_t i = 0; i < count_; ++i) {
    if (keys_[i].space == space && text_[i] == text) return;
  }
  text_[count_] = std::move(text);
  keys_[count_] = {space, Access::write, text_[count_]};
  ++count_;
}

RowKeys::RowKeys(const Change& change) {
  // The same texts the translator gives its ops (row_key above): the legacy primary key, or
  // the derived target id where the mapping derives one from it.
  auto key_of = [&](const Row& row) -> std::optional<std::string> {
    auto text = [&](std::uint8_t column) -> std::optional<std::string> {
      if (!row[column].is_text()) return std::nullopt;
      return std::string(row[column].text);
    };
    switch (change.table) {
      case LegacyTable::account_linkages:
        return text(col::account_linkages::id);
      case LegacyTable::user_attributes:
        return text(col::user_attributes::user_id);
      case LegacyTable::account_metadata:
        return text(col::account_metadata::account_id);
      case LegacyTable::activity_feedback: {
        auto id = text(col::activity_feedback::id);
        if (!id) return std::nullopt;
        const auto uuid = mapping_uuid("activity_feedback:" + *id);
        return std::string(uuid.data(), uuid.size());
      }
      case LegacyTable::ai_suggestions:
        return text(col::ai_suggestions::id);
      case LegacyTable::offline_likes: {
        auto user = text(col::offline_likes::user_id);
        auto slug = text(col::offline_likes::activity_slug);
        if (!user || !slug) return std::nullopt;
        const auto uuid = mapping_uuid("offline_likes:" + *user + ":" + *slug);
        return std::string(uuid.data(), uuid.size());
      }
      case LegacyTable::chatbot_conversations:
        return text(col::chatbot_conversations::id);
      case LegacyTable::chatbot_messages:
        return text(col::chatbot_messages::id);
      case LegacyTable::conversation_context:
        return text(col::conversation_context::conversation_id);
      case LegacyTable::activities:
        return text(col::activities::id);
    }
    return std::nullopt;
  };
  const auto space = static_cast<KeySpace>(change.table);
  if (change.op == Operation::insert || change.op == Operation::update) {
    if (auto k = key_of(change.new_row)) add(space, std::move(*k));
  }
  if (change.has_old_key && change.op != Operation::insert) {
    if (auto k = key_of(change.old_key)) add(space, std::move(*k));
  }
}

std::string row_to_json(LegacyTable table, const Row& row) {
  const auto& t = info(table);
  std::string out = "{";
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const Value& v = row[i];
    if (v.state == State::absent || v.is_unchanged()) continue;
    if (out.size() > 1) out += ',';
    decode::append_json_string(t.columns[i].name, out);
    out += ':';
    if (v.is_null()) {
      out += "null";
      continue;
    }
    switch (json_kind_of(t.columns[i].type)) {
      case JsonKind::json:
      case JsonKind::number:
        out += v.text;
        break;
      case JsonKind::boolean:
        out += (v.text == "t" || v.text == "true") ? "true" : "false";
        break;
      case JsonKind::string:
        decode::append_json_string(v.text, out);
        break;
    }
  }
  out += '}';
  return out;
}

}  // namespace dualwrite::translate
