// What the applier's files share and nothing else needs (src/apply only).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "dualwrite/apply/applier.hpp"
#include "dualwrite/apply/batch.hpp"
#include "dualwrite/translate/translator.hpp"

namespace dualwrite::apply {

// The translate names the applier's files use throughout.
using translate::Change;
using translate::DeadLetterReason;
using translate::LegacyTable;
using translate::Operation;
using translate::OpKind;
using translate::Param;
using translate::SourcePosition;

// Records kept before a sync is forced, in a large transaction (each holds a legacy row as
// JSON until its statement's results are read).
inline constexpr std::size_t kMaxRecordsInFlight = 4096;

// What a dead letter needs to know of a change, kept until its statement's results are read.
struct Applier::Record {
  translate::LegacyTable table = translate::LegacyTable::account_linkages;
  std::string unknown_relation;  // set: the letter's source_table (not a legacy table)
  translate::Operation op = translate::Operation::insert;
  translate::SourcePosition position;
  std::string old_key_json;
  std::string new_row_json;
  std::optional<std::int64_t> letter;  // a dead letter being retried
};

// One level of nesting: the stream (0), or the letters an op of the level above unblocked.
struct Applier::Level {
  explicit Level(const Batch::Limits& limits) : batch(limits) {}
  translate::Translator translator;
  Batch batch;
};

// The legacy table an op kind comes from.
translate::LegacyTable table_of(translate::OpKind kind);

// sql/apply/session_timeouts.sql on `conn`, with `statement_timeout` and the options' others.
void set_session_timeouts(pg::Connection& conn, const ApplyOptions& options,
                          std::chrono::milliseconds statement_timeout);

}  // namespace dualwrite::apply
