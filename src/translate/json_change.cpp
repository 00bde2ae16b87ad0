#include "dualwrite/translate/json_change.hpp"

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
  change.has_old_key = load_row(*table, old_key_json, change.old_key);
  load_row(*table, new_row_json, change.new_row);
  return true;
}

bool JsonChangeLoader::load_row(LegacyTable table, const char* json, Row& row) {
  if (json == nullptr) return false;
  fields_.clear();
  if (!json_.object(json, fields_)) return false;
  const auto& columns = info(table).columns;
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

}  // namespace dualwrite::translate
