// A legacy change rebuilt from JSON: the old key and new row of a dead letter, or a legacy row
// read as to_jsonb(row) (the backfill's rows that the stream would dead-letter).
//
// For: feeding the same Translator/Applier path the stream uses with rows that did not come off
// the replication stream, so that their dead letters (reasons, details) are exactly the
// stream's. JSON values keep their exact text (numbers their scale); strings are unescaped.
// Not for: decoding pgoutput (decode/).
// Thread-safety: one loader per thread.
#pragma once

#include <deque>
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
  // are not columns of the table are ignored. Returns false for an unknown table or operation.
  // The change's values view into this loader: valid until the next load().
  bool load(std::string_view table_name, std::string_view operation, const char* old_key_json,
            const char* new_row_json, Change& change);

 private:
  bool load_row(LegacyTable table, const char* json, Row& row);

  FlatJson json_;
  std::deque<std::string> storage_;
  std::vector<JsonField> fields_;
};

}  // namespace dualwrite::translate
