#include "dualwrite/translate/json_change.hpp"

#include <algorithm>

namespace dualwrite::translate {

bool JsonChangeLoader::load(std::string_view table_name, std::string_view operation,
                            const char* old_key_json, const char* new_row_json, Change& change) {
  const auto table = find_legacy_table("public", table_name);
  if (!table) return false;
  if (operation == "insert") {
    change.op = Operation::insert;
  } else if (operation == "update") {
    change.op = Operation::update;
  } else if (operation == "delete") {
    change.op = Operation::delete_;
  } else {
    return false;
  }
  storage_.clear();
  change.table = *table;
  change.old_key = Row{};
  change.new_row = Row{};
  change.has_old_key = load_row(*table, old_key_json, change.old_key, Value::State::absent);
  load_row(*table, new_row_json, change.new_row,
           change.op == Operation::update ? Value::State::unchanged : Value::State::absent);
  return true;
}

bool JsonChangeLoader::load_row(LegacyTable table, const char* json, Row& row,
                                Value::State missing) {
  if (json == nullptr) return false;
  fields_.clear();
  if (!json_.object(json, fields_)) return false;
  const auto& columns = info(table).columns;
  for (std::size_t c = 0; c < columns.size(); ++c) row[c].state = missing;
  for (const auto& f : fields_) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (columns[c].name != f.key) continue;
      auto& value = row[c];
      if (f.type == simdjson::ondemand::json_type::null) {
        value.state = Value::State::null;
        break;
      }
      // `raw` views point into the parser's buffer, which the next row reuses: keep copies.
      storage_.emplace_back(f.type == simdjson::ondemand::json_type::string ? f.text
                                                                            : std::string(f.raw));
      value = {Value::State::text, storage_.back()};
      break;
    }
  }
  return true;
}

namespace {

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out;
}

// The columns the mapping reads that `fields` lacks (only the key columns when `key_only`), and
// its keys that are no column of the table.
void compare_columns(const LegacyTableInfo& t, const std::vector<JsonField>& fields, bool key_only,
                     std::vector<std::string>& missing, std::vector<std::string>& unknown) {
  for (const auto& column : t.columns) {
    if (!column.read || (key_only && !column.key)) continue;
    const bool present = std::any_of(fields.begin(), fields.end(),
                                     [&](const JsonField& f) { return f.key == column.name; });
    if (!present) missing.emplace_back(column.name);
  }
  for (const auto& f : fields) {
    const bool known = std::any_of(t.columns.begin(), t.columns.end(),
                                   [&](const LegacyColumn& c) { return c.name == f.key; });
    if (!known) unknown.push_back(f.key);
  }
}

std::string column_advice(std::int64_t id, const LegacyTableInfo& t, std::string_view row,
                          const std::vector<std::string>& missing,
                          const std::vector<std::string>& unknown) {
  const std::string n = std::to_string(id);
  std::string out = "letter " + n + ": its " + std::string(row) + " has ";
  out += unknown.empty() ? "no " + quoted_list(missing)
                         : quoted_list(unknown) + " but not " + quoted_list(missing);
  out += " (" + std::string(t.name) + "'s column" + (missing.size() > 1 ? "s" : "") +
         " the mapping reads; the row is kept as the stream carried it after DDL on the "
         "source). Once public." +
         std::string(t.name) + " has its legacy columns again, put each value under its legacy " +
         "name, e.g. UPDATE dualwrite.dead_letters SET " + std::string(row) + " = ";
  if (!unknown.empty()) {
    out += std::string(row) + " - '" + unknown.front() + "' || jsonb_build_object('" +
           missing.front() + "', " + std::string(row) + " -> '" + unknown.front() + "')";
  } else {
    out += std::string(row) + " || jsonb_build_object('" + missing.front() + "', <value>)";
  }
  out += " WHERE id = " + n + "; then retry it, or leave it: dualwrite dead-letters resolve " + n;
  return out;
}

}  // namespace

std::optional<std::string> schema_mismatch_retry_blocker(std::int64_t id,
                                                         std::string_view source_table,
                                                         std::string_view operation,
                                                         const char* old_key_json,
                                                         const char* new_row_json) {
  const std::string n = std::to_string(id);
  const auto table = find_legacy_table("public", source_table);
  if (!table) {
    return "letter " + n + " names " + std::string(source_table) +
           ", which is not a legacy table: the stream carried it under that name (a legacy "
           "table renamed on the source?). Rename the table back (ALTER TABLE public." +
           std::string(source_table) +
           " RENAME TO <legacy name>), name the legacy table in the letter (UPDATE "
           "dualwrite.dead_letters SET source_table = '<legacy name>' WHERE id = " +
           n + ") and retry it; or leave it: dualwrite dead-letters resolve " + n;
  }
  if (operation == "truncate") {
    return "letter " + n +
           " is a TRUNCATE, which is never mirrored (mapping.md rule 7): decide by "
           "hand, then dualwrite dead-letters resolve " +
           n;
  }
  const auto& t = info(*table);
  FlatJson json;
  std::vector<JsonField> fields;
  const bool is_delete = operation == "delete";
  const char* row_json = is_delete ? old_key_json : new_row_json;
  const std::string_view row = is_delete ? "old_key" : "new_row";
  if (row_json == nullptr || !json.object(row_json, fields)) {
    return "letter " + n + " has no " + std::string(row) + " object to retry: resolve it " +
           "(dualwrite dead-letters resolve " + n + ")";
  }
  std::vector<std::string> missing, unknown;
  compare_columns(t, fields, is_delete, missing, unknown);
  // An UPDATE's row lacks the values the stream did not carry (unchanged TOAST): those stay as
  // they are. Missing columns beside names that are no legacy column are a rename, though.
  const bool blocked = !missing.empty() && (operation != "update" || !unknown.empty());
  if (blocked) return column_advice(id, t, row, missing, unknown);
  // An UPDATE that changed the key also carries the old one: its key columns by legacy names.
  if (operation == "update" && old_key_json != nullptr && json.object(old_key_json, fields)) {
    missing.clear();
    unknown.clear();
    compare_columns(t, fields, true, missing, unknown);
    if (!missing.empty()) return column_advice(id, t, "old_key", missing, unknown);
  }
  return std::nullopt;
}

}  // namespace dualwrite::translate
