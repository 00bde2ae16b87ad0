// PollLoop: what the daemon's pollers (SlotPoller, VerifyPoller) share.
//
// For: a poller's own connection, opened by the poll that finds none (the first, and the one
// after a poll that could not ask its database), its connect and every query with a deadline
// (kPollQueryTimeout) that also ends when the poller stops: a database that accepts TCP and never
// answers must not hold the thread (or the daemon's exit); the thread that polls at start and then
// every interval (Periodic); and what a failed poll does: when the database could not be asked, the
// connection is given up (after a server restart libpq can report the first failed query on a
// socket it still believes open) and dualwrite_connection_up{connection} goes to 0; then, unless
// the poller is stopping (a poll cut short by stop() is no error of the database),
// dualwrite_errors_total{stage} is counted and a warning logged.
// Not for: the query, or what its rows become (each poller).
// Thread-safety: start()/stop() from one thread; connection(), up(), failed() and report() on the
// thread that polls (or the caller of a poller's poll_once(), never both at once).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "dualwrite/core/error.hpp"
#include "dualwrite/ops/metrics.hpp"
#include "dualwrite/ops/periodic.hpp"
#include "dualwrite/pg/connection.hpp"

namespace dualwrite::ops {

// How long a poll waits for the database's answer before it gives the connection up.
inline constexpr std::chrono::seconds kPollQueryTimeout{20};

class PollLoop {
 public:
  struct Names {
    const char* connection;  // dualwrite_connection_up{connection=...}, e.g. "source_poll"
    const char* stage;       // dualwrite_errors_total{stage=...}, e.g. "slot_poll"
    const char* what;        // the warning's prefix, e.g. "slot poll"
  };

  PollLoop(std::string conninfo, std::string password, Names names, Metrics& metrics);
  ~PollLoop();  // stops the thread
  PollLoop(const PollLoop&) = delete;
  PollLoop& operator=(const PollLoop&) = delete;

  // Runs `poll` now, then every interval, on a thread of its own.
  void start(std::chrono::milliseconds interval, std::function<void()> poll);
  void stop();

  // The connection, opened first when there is none; throws as pg::Connection::open does.
  pg::Connection& connection();
  // The poll reached its database: dualwrite_connection_up{connection} 1.
  void up();
  // The poll could not ask its database (`error`): the connection given up, then report().
  void failed(const Error& error);
  // The poll failed with `error`: counted and logged, unless the poller is stopping.
  void report(const Error& error);

 private:
  std::string conninfo_;
  std::string password_;
  Names names_;
  Metrics& metrics_;
  pg::Connection conn_;
  Periodic periodic_;  // last: stopped before the connection goes
};

}  // namespace dualwrite::ops
