// ChangeContext: which source change a piece of work is about — the legacy table, the
// operation, the source transaction's xid and the LSN of its commit.
//
// For: the one description of "where in the stream" that errors (Error::context), log lines (the
// formatters of ops/logging.hpp add it as fields) and dead letters (their source_table,
// operation, commit_lsn and xid columns) share, instead of each gluing it into its text. The
// consumer sets the thread's current context as messages arrive, the way PostgreSQL's apply
// worker fills apply_error_callback_arg for its error context callback: the transaction at
// Begin, the table and operation around each change (ContextScope), nothing after Commit.
// Not for: carrying row data (a dead letter keeps the row itself), or context across threads:
// the current context is per thread, and a thread that works on no change has none.
// Thread-safety: ChangeContext is a value type; the current context is thread_local.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dualwrite/core/lsn.hpp"

namespace dualwrite {

struct ChangeContext {
  // The legacy table as it appears in the source (a relation that is not a legacy table: its
  // name as the stream carried it); empty when the work concerns a whole transaction.
  std::string table;
  std::string operation;  // insert | update | delete | truncate; empty with `table`
  Lsn commit_lsn;         // the source transaction's commit record; invalid when not known
  std::uint32_t xid = 0;  // the source transaction; 0 when not known

  bool empty() const {
    return table.empty() && operation.empty() && !commit_lsn.is_valid() && xid == 0;
  }
  bool operator==(const ChangeContext&) const = default;
};

// "likes insert, xid 740, commit 0/16B2D28": the parts that are set, for text log lines and
// one-line command errors.
std::string describe(const ChangeContext& context);

// The context of the change this thread works on now; nullopt outside any.
const std::optional<ChangeContext>& current_context();
// Replaces the thread's current context (the consumer: at Begin and Commit).
void set_current_context(std::optional<ChangeContext> context);

// Narrows the current context to one change for the scope's lifetime (keeping the transaction's
// xid and LSN when the change does not carry them), then restores what was there.
// Cheap enough for every change: the names are assigned into the thread's strings, whose
// capacity stays, and a transaction's context (no table) has nothing to save.
class ContextScope {
 public:
  ContextScope(std::string_view table, std::string_view operation);
  ~ContextScope();
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  bool had_context_ = false;
  std::string saved_table_, saved_operation_;
};

}  // namespace dualwrite
