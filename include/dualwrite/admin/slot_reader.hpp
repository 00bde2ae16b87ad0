// Reading the slot without consuming it: what `dualwrite peek` and `dualwrite replay` share.
//
// For: the changes a logical slot still holds, read over an ordinary SQL connection with
// pg_logical_slot_peek_binary_changes (pgoutput protocol 1, the configured publication): the
// same bytes START_REPLICATION would send, from the slot's confirmed_flush_lsn on (PostgreSQL
// starts there whatever is asked), while the slot itself never moves. The rows are read through
// a cursor in batches, so the client holds one batch at a time whatever the range; the server
// materializes the function's result and spills it to disk beyond work_mem.
//
// The slot must be idle: the peek functions acquire it for the time they decode, and the daemon
// holds it while it streams. `check_idle_slot` refuses an active slot with one line that says
// who holds it and how to stop it.
//
// Positions: a transaction occupies, in the WAL, the commit record [commit_lsn, end_lsn); the
// replication origin records end_lsn, dead letters record commit_lsn. `replay` selects by
// end_lsn (what the origin records); `transactions_ending_in` finds which transactions those are
// before the apply pass, which can only decide at each Begin (that carries commit_lsn alone).
//
// Not for: streaming (stream/), applying (apply/), or anything that writes to the source.
// Thread-safety: a SlotReader uses its connection from one thread; the functions are reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dualwrite/apply/pg.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/core/lsn.hpp"

namespace dualwrite::admin {

struct SlotState {
  std::string name;
  Lsn confirmed_flush;  // the oldest position the slot still holds changes from
  Lsn restart_lsn;
  std::string wal_status;
};

// Reads the slot and refuses, as one line, a slot that is missing (slot_lost), invalidated
// (slot_lost) or in use by another session (usage: stop the daemon and run again). `command`
// names what the user ran ("peek", "replay"). Throws apply::DbError when the query fails.
Result<SlotState> check_idle_slot(apply::Connection& source, const std::string& slot,
                                  std::string_view command);

// The error of a peek function (a database error from pg::attempt) that found the slot active
// (the daemon started after check_idle_slot): the same one line; a slot that is gone is
// slot_lost. Other server errors become `domain` errors.
Error slot_read_error(const Error& e, const std::string& slot, std::string_view command,
                      ErrorDomain domain = ErrorDomain::source);

// The pgoutput options of the peek functions for `publication`, quoted for pgoutput's list
// parser (a double-quoted identifier: "Pub" stays "Pub", a '"' is doubled). Exposed for tests.
std::string publication_names_option(std::string_view publication);

struct SlotReaderOptions {
  std::string slot;
  std::string publication;
  // Decoding stops after the first WAL record that ends at or after this position (so every
  // transaction whose commit ends at or before it is read); invalid: to the end of the WAL.
  Lsn upto_lsn;
  // Decoding stops after the first transaction that brings the rows read to this many; 0: no
  // limit. Results always end at a transaction boundary.
  std::int64_t upto_rows = 0;
  int fetch_rows = 500;
};

// One row of the peek function: a pgoutput message and where it comes from.
struct SlotRow {
  Lsn lsn;  // the change's position; for a Commit message the transaction's end_lsn
  std::uint32_t xid = 0;
  std::span<const std::byte> data;  // valid until the next call of next()
};

class SlotReader {
 public:
  // Opens a transaction and the cursor on `source` (its own session: nothing else may use the
  // connection until close()). Throws apply::DbError.
  SlotReader(apply::Connection& source, SlotReaderOptions options);
  ~SlotReader();
  SlotReader(const SlotReader&) = delete;
  SlotReader& operator=(const SlotReader&) = delete;

  // The next row, or nullopt after the last one. Errors are source errors, or the one line of
  // an active slot (see slot_read_error).
  Result<std::optional<SlotRow>> next();
  // Rows returned so far.
  std::uint64_t rows_read() const { return rows_read_; }
  // Ends the cursor's transaction (nothing was written). Also done by the destructor.
  void close();

 private:
  Status fetch();

  apply::Connection& source_;
  SlotReaderOptions options_;
  apply::ResultPtr batch_;
  int batch_row_ = 0;
  bool exhausted_ = false;
  bool open_ = false;
  std::uint64_t rows_read_ = 0;
};

// Which of the transactions the slot holds have their end_lsn in [from, to]: consecutive in
// commit order, so the first and last commit_lsn tell the apply pass which Begins to take.
struct TransactionSpan {
  std::uint64_t transactions = 0;
  Lsn first_commit, last_commit;  // commit_lsn of the first and last of them
  Lsn first_end, last_end;        // their end_lsn
};

// One pass over the slot, aggregated on the server (only a summary row travels).
Result<TransactionSpan> transactions_ending_in(apply::Connection& source,
                                               const SlotReaderOptions& slot, Lsn from, Lsn to);

}  // namespace dualwrite::admin
