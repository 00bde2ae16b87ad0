// Error and Result<T>: how every stage reports failure to its caller.
//
// For: decode, translate and the other pure stages, whose callers must decide what a failure
// means (dead letter, reconnect, fatal), and the code that talks to PostgreSQL: the pg layer
// throws DbError inside a stage's helpers, and pg::attempt (pg/attempt.hpp) is where that
// becomes a Result whose domain comes from the side and the SQLSTATE; no stage catches a
// database exception itself. Not for: config loading, which throws ConfigError and is caught
// by the commands (see cli/).
// Thread-safety: value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "dualwrite/core/context.hpp"

namespace dualwrite {

// The failure domains double as process exit codes (documented in the README), so that systemd
// and scripts can tell a bad config (do not restart) from a lost source (restart).
enum class ErrorDomain : std::uint8_t {
  internal = 1,
  usage = 2,      // bad arguments or config: fix and rerun, do not restart
  decode = 3,     // malformed wire data
  source = 4,     // the source database or replication connection
  target = 5,     // the target database
  slot_lost = 6,  // the replication slot is missing or invalidated: fatal, needs a human
  translate = 7,
  verify_drift = 8,
};

int exit_code(ErrorDomain domain);
const char* to_string(ErrorDomain domain);

struct Error {
  ErrorDomain domain = ErrorDomain::internal;
  std::string message;
  // The server's SQLSTATE when a database refused (pg::attempt); empty for every other error.
  std::string sqlstate;
  // The database connection is gone (pg::attempt): reconnect, then retry.
  bool connection_lost = false;
  // The change being worked on when it failed (core/context.hpp), kept apart from the message
  // so that a log line or a dead letter can show it as fields.
  std::optional<ChangeContext> context;
};

// The message, then the context in parentheses when there is one: for one-line reports.
std::string describe(const Error& error);

// A minimal expected<T, Error> (std::expected is C++23). Access to the wrong alternative is a
// programming error and terminates via std::get's exception, never silently.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

inline Error make_error(ErrorDomain domain, std::string message) {
  Error error;
  error.domain = domain;
  error.message = std::move(message);
  return error;
}

}  // namespace dualwrite
