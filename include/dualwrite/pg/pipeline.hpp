// The pipeline: statements sent back to back on one connection (libpq pipeline mode), their
// results read together at a sync.
//
// For: the apply's round trips. Each statement is sent with a name for errors and, optionally,
// a handler for its result; sync() sends a Sync, reads every result in order and calls the
// handlers of the statements that succeeded. After a failed statement the server skips the
// rest until the Sync (PGRES_PIPELINE_ABORTED): sync() returns the first failure, and the
// transaction the statements were in is aborted.
// Not for: COPY (not allowed in pipeline mode: leave() first), or owning the connection.
// Thread-safety: one thread.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dualwrite/pg/connection.hpp"

namespace dualwrite::pg {

class Pipeline {
 public:
  // Called with the result of a statement that succeeded, at the sync that reads it.
  using Handler = std::function<void(const PGresult*)>;

  explicit Pipeline(Connection& connection) : conn_(connection) {}

  // Enters / leaves pipeline mode. leave() requires nothing unsynced. Throw DbError.
  void enter();
  void leave();
  bool active() const;

  // Sends a prepared statement with text parameters (nullptr: NULL). Throws DbError when the
  // connection cannot take it (a lost connection).
  void send_prepared(std::string_view name, std::span<const char* const> values, std::string what,
                     Handler on_result = {});
  // Sends a statement without parameters (BEGIN, SAVEPOINT, COMMIT, …).
  void send(std::string_view sql, std::string what = {}, Handler on_result = {});

  // Statements sent and not synced yet.
  std::size_t unsynced() const { return sent_.size(); }

  // Reads every result up to a Sync. Returns the first failed statement's error (its `what`,
  // then the server's message; SQLSTATE kept), nullopt when all succeeded. Throws DbError when
  // the connection is lost or the protocol is out of step.
  std::optional<DbError> sync();

  // Forgets what was sent (their results are read and dropped), e.g. before a ROLLBACK.
  // Returns false when the connection broke meanwhile.
  bool discard();

 private:
  struct Sent {
    std::string what;
    Handler on_result;
  };
  [[noreturn]] void lost(std::string_view doing) const;

  Connection& conn_;
  std::deque<Sent> sent_;
};

}  // namespace dualwrite::pg
