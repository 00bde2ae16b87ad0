// A legacy change rebuilt from JSON: the old key and new row of a dead letter, or a legacy row
// read as to_jsonb(row) (the backfill's rows that the stream would dead-letter).
//
// For: feeding the same Translator/Applier path the stream uses with rows that did not come off
// the replication stream, so that their dead letters (reasons, details) are exactly the
// stream's. JSON values keep their exact text (numbers their scale); strings are unescaped.
// Not for: decoding pgoutput (decode/).
// Thread-safety: one loader per thread.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dualwrite/translate/change.hpp"
#include "dualwrite/translate/translator.hpp"

namespace dualwrite::translate {

class JsonChangeLoader {
 public:
  // Fills `change` from the legacy table's name ("activity_feedback"), the operation name
  // ("insert" | "update" | "delete") and the rows as JSON objects (nullptr: absent). Keys that
  // are not columns of the table are ignored. An UPDATE's new row lacks exactly the values the
  // stream did not carry (unchanged TOAST: letters leave them out), so there a missing column is
  // unchanged (rule 5), not absent. Returns false for an unknown table or operation.
  // The change's values view into this loader: valid until the next load().
  bool load(std::string_view table_name, std::string_view operation, const char* old_key_json,
            const char* new_row_json, Change& change);

 private:
  bool load_row(LegacyTable table, const char* json, Row& row, Value::State missing);

  FlatJson json_;
  std::deque<std::string> storage_;
  std::vector<JsonField> fields_;
};

// Why a schema_mismatch letter (number `id`) cannot be retried as it stands, and what the operator
// does about it; nullopt when it can: it names a legacy table, and its rows carry the columns
// the mapping reads under their legacy names (an UPDATE's row may lack some: not carried, they
// stay as they are). Such a letter keeps the row as the stream carried it, so after a renamed
// column its row has the new name, and after a renamed table it names that table: those need
// the schema back and then the letter edited (the messages give the UPDATE), or resolving.
std::optional<std::string> schema_mismatch_retry_blocker(std::int64_t id,
                                                         std::string_view source_table,
                                                         std::string_view operation,
                                                         const char* old_key_json,
                                                         const char* new_row_json);

}  // namespace dualwrite::translate
