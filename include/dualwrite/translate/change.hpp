// A legacy row change, decoded and mapped onto the fixed column order of its legacy table.
//
// For: the translator's input. Built by the relation cache from pgoutput messages (streamed
// changes) or from a dead letter's jsonb (retries), so that both go through one translation.
// Not for: owning data: values are views into the message buffer or the dead letter's text and
// live only as long as those.
// Thread-safety: value types, no shared state.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "dualwrite/core/lsn.hpp"
#include "dualwrite/translate/legacy_schema.hpp"

namespace dualwrite::translate {

enum class Operation : std::uint8_t { insert, update, delete_, truncate };
std::string_view name_of(Operation op);

struct Value {
  enum class State : std::uint8_t {
    absent,  // the change does not carry this column at all (e.g. non-key columns of a key)
    null,
    unchanged,  // an out-of-line (TOASTed) value an UPDATE left as it was: rule 5
    text,
  };
  State state = State::absent;
  std::string_view text;

  bool is_text() const { return state == State::text; }
  bool is_null() const { return state == State::null; }
  bool is_unchanged() const { return state == State::unchanged; }
};

struct Row {
  std::array<Value, kMaxLegacyColumns> values{};
  const Value& operator[](std::size_t i) const { return values[i]; }
  Value& operator[](std::size_t i) { return values[i]; }
};

// Where a change comes from in the source: the commit it belongs to.
struct SourcePosition {
  Lsn commit_lsn;  // the commit record (pg_replication_origin_xact_setup wants end_lsn)
  Lsn end_lsn;     // end of the commit record: what progress records
  std::uint32_t xid = 0;
  std::int64_t commit_time_micros = 0;  // since 2000-01-01 UTC, PostgreSQL's epoch
};

struct Change {
  LegacyTable table = LegacyTable::account_linkages;
  Operation op = Operation::insert;
  Row old_key;  // UPDATE (when the key changed) and DELETE: the replica identity columns
  Row new_row;  // INSERT and UPDATE
  bool has_old_key = false;
};

}  // namespace dualwrite::translate
