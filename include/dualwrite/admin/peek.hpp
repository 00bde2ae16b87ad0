// `dualwrite peek`: the changes the slot holds, decoded and translated, without applying or
// consuming anything (a dry run).
//
// For: showing, per source transaction, each legacy change and the target writes the translator
// makes of it (op kind, target table, key), or the dead letter it would become when the
// translator refuses it. What only the target can decide (account resolution, chat parents,
// like merges) is decided when the change is applied, so a write shown here may still become a
// dead letter then.
// Transactions the target already applied (commit before the applied position; the replay
// window keeps them in the slot) are skipped unless asked for, and marked.
//
// Bounded work: the peek function decodes at most a number of rows sized from the limit, and
// grows it (by four, re-reading from the slot's start and skipping what was seen) only while the
// limit is not reached, so `peek --limit 10` on a slot that holds hours of WAL does not decode
// all of it. Memory: one transaction's shown changes (at most the limit) and a fetch batch.
// Not for: applying (see replay.hpp) or moving the slot.
// Thread-safety: one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dualwrite/admin/slot_reader.hpp"
#include "dualwrite/decode/pgoutput.hpp"
#include "dualwrite/translate/change.hpp"
#include "dualwrite/translate/ops.hpp"
#include "dualwrite/translate/translator.hpp"

namespace dualwrite::admin {

struct PeekOptions {
  std::uint64_t limit = 100;     // changes shown at most
  bool include_applied = false;  // also the transactions the replay window keeps
  // Transactions that commit before this position are applied (the bridge's applied
  // position); invalid: none known, everything is shown as pending.
  Lsn applied;
};

struct PeekedWrite {
  translate::OpKind kind;
  std::string key;  // the op's first parameter: the target row it writes
};

struct PeekedChange {
  translate::LegacyTable table = translate::LegacyTable::account_linkages;
  // The relation's name as the stream carried it: the legacy table's, or (a schema_mismatch
  // letter of a relation that is not one) another.
  std::string source_table;
  translate::Operation op = translate::Operation::insert;
  // The legacy primary key (the old key when the change carries one): (column, value).
  std::vector<std::pair<std::string, std::string>> key;
  std::vector<PeekedWrite> writes;
  std::optional<translate::Rejection> dead_letter;
};

struct PeekedTransaction {
  std::uint32_t xid = 0;
  Lsn commit_lsn;
  Lsn end_lsn;  // invalid when the limit cut the transaction before its commit was read
  decode::PgTimestamp commit_time;
  bool applied = false;
  std::vector<PeekedChange> changes;
  bool cut = false;  // the limit stopped before the end of this transaction
};

struct PeekSummary {
  std::uint64_t transactions = 0;  // shown
  std::uint64_t changes = 0;       // shown
  std::uint64_t applied_skipped = 0;
  bool more = false;  // pending changes remain beyond the limit
  int passes = 0;     // reads of the slot
};

// Reads the slot (which must be idle: check_idle_slot) and hands each transaction with changes
// to `emit`, in commit order. A change whose relation does not match the legacy schema is shown
// as the schema_mismatch letter it becomes. Errors: source, decode.
Result<PeekSummary> peek(apply::Connection& source, const SlotReaderOptions& slot,
                         const PeekOptions& options,
                         const std::function<void(const PeekedTransaction&)>& emit);

}  // namespace dualwrite::admin
