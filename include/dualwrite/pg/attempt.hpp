// pg::attempt: where the pg layer's exceptions end and Result<T> begins.
//
// For: stage and command code that talks to PostgreSQL through pg::Connection (which throws
// DbError so that a statement deep in a helper needs no error plumbing) and reports failure as
// Result<T>: the failure domain comes from the side it talked to and from the SQLSTATE (a
// replication slot that is gone is slot_lost whatever the side), the message is the server's.
// Callers branch on Result; none of them catches a database exception itself.
// Not for: the apply's pipeline, whose errors decide careful mode per change (apply/), or
// exceptions other than DbError (config errors, bugs), which pass through.
// Thread-safety: pure functions and a function template; no state.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "dualwrite/core/error.hpp"
#include "dualwrite/pg/connection.hpp"

namespace dualwrite::pg {

// The failure domain of `error`, raised on `side` (ErrorDomain::source or ::target): slot_lost
// when the server says the replication slot does not exist or can no longer be read (SQLSTATE
// 42704 or 55000 about a replication slot), otherwise `side`.
ErrorDomain domain_of(const DbError& error, ErrorDomain side);

// A server message on one line: a leading "ERROR:  " or "FATAL:  " dropped, DETAIL and HINT
// lines joined with "; ", tabs as spaces. For log lines and one-line command errors.
std::string one_line(std::string_view message);

// Runs `body` and returns its value (Status for a body returning void); a DbError it throws
// becomes Error{domain_of(error, side), error.what(), error.sqlstate(), error.connection_lost()},
// with the thread's current change context (core/context.hpp) attached.
template <typename Body>
auto attempt(ErrorDomain side, Body&& body) {
  using Value = std::invoke_result_t<Body&>;
  using Out = std::conditional_t<std::is_void_v<Value>, Status, Result<Value>>;
  try {
    if constexpr (std::is_void_v<Value>) {
      body();
      return Out(Ok{});
    } else {
      return Out(body());
    }
  } catch (const DbError& error) {
    return Out(Error{domain_of(error, side), error.what(), error.sqlstate(),
                     error.connection_lost(), current_context()});
  }
}

}  // namespace dualwrite::pg
