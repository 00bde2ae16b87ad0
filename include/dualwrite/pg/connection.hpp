// The pg stage: connections to PostgreSQL for everything but the replication stream.
//
// For: owning PGconn/PGresult, running a statement and turning failures into exceptions that
// carry the server's message and SQLSTATE; PostgreSQL array literals. Connecting has a deadline
// and TCP keepalives (pg/session.hpp); a connection given set_wait_limit() also bounds each
// statement's wait on the client side (the pollers: a server that stops answering must not hang
// their thread). Used by apply, admin, backfill, verify and the commands.
// Not for: the replication connection (stream/), or pipelining (pg/pipeline.hpp).
// Where the SQL lives: with the callers (sql/<stage>/); the stage's own statements are one-line
// calls of the replication-origin functions (create_origin_if_missing).
// Thread-safety: a Connection is used by one thread at a time.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dualwrite/pg/session.hpp"

namespace dualwrite::pg {

// A failure talking to a database. `connection_lost` tells the reconnect loop to retry.
class DbError : public std::runtime_error {
 public:
  DbError(std::string message, std::string sqlstate, bool connection_lost)
      : std::runtime_error(std::move(message)),
        sqlstate_(std::move(sqlstate)),
        connection_lost_(connection_lost) {}
  const std::string& sqlstate() const { return sqlstate_; }
  bool connection_lost() const { return connection_lost_; }

 private:
  std::string sqlstate_;
  bool connection_lost_;
};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

class Connection {
 public:
  // Connects; `password` (from a password_file) is passed beside the conninfo, never in it.
  // Gives up after connect_timeout, or as soon as `cancelled` says so (DbError, connection lost).
  static Connection open(const std::string& conninfo, const std::string& password = "",
                         const Cancelled& cancelled = {});
  Connection() = default;
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  PGconn* get() const { return conn_.get(); }
  bool ok() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

  // From now on exec/query/scalar wait at most `limit` for an answer and end when `cancelled`
  // says so; either ends the connection (DbError, connection lost). Without it they wait as
  // long as the server takes (bounded server-side by statement_timeout, where one is set).
  void set_wait_limit(std::chrono::milliseconds limit, Cancelled cancelled);

  // Runs SQL (no parameters, several statements allowed); throws DbError.
  void exec(std::string_view sql);
  // Runs one statement with text parameters (nullptr = NULL); throws DbError.
  ResultPtr query(std::string_view sql, const std::vector<const char*>& params = {});
  // First column of the first row, or nullopt-like empty string with `found` false.
  std::string scalar(std::string_view sql, const std::vector<const char*>& params = {},
                     bool* found = nullptr);

  // The error of a failed result as DbError (message, SQLSTATE, whether the link is gone).
  DbError error_of(const PGresult* result) const;

 private:
  struct ConnDeleter {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  // params nullptr: the simple protocol (several statements); else the extended one.
  ResultPtr run(std::string_view sql, const std::vector<const char*>* params);

  std::unique_ptr<PGconn, ConnDeleter> conn_;
  std::chrono::milliseconds wait_limit_{0};
  Cancelled cancelled_;
};

// Appends `value` as an element of a PostgreSQL array literal ("{…}"): always double-quoted,
// with backslash and double quote escaped.
void append_array_element(std::string& literal, std::string_view value);

// The array literal of `items` (strings or string views), for a `$n::text[]` parameter:
// {"a","b"}; {} for none.
template <typename Range>
std::string array_literal(const Range& items) {
  std::string literal = "{";
  for (const auto& item : items) {
    if (literal.size() > 1) literal += ',';
    append_array_element(literal, std::string_view(item));
  }
  return literal + '}';
}

// Creates the replication origin `name` unless it exists, in the caller's transaction if one is
// open (pg_replication_origin_oid, then _create: the role needs EXECUTE on both, which
// admin::required_privileges() lists for run and bootstrap). Throws DbError.
void create_origin_if_missing(Connection& conn, const std::string& name);

}  // namespace dualwrite::pg
