// pg stage, sessions: a deadline for every libpq connection and wait, and waits that can end.
//
// For: connecting and running a blocking command without ever waiting forever. libpq's own
// blocking calls (PQconnectdbParams, PQexec, PQgetResult) wait without limit on a server that
// accepts TCP and never answers, and nothing but the server can end them. Here:
//   - every connection gets TCP keepalives and tcp_user_timeout (a dead peer is noticed within
//     about 30 s), placed *before* the caller's conninfo so that a conninfo setting them wins;
//   - connect() drives PQconnectStartParams/PQconnectPoll itself, waiting at most
//     connect_timeout (the conninfo's, else kConnectTimeout) and checking `cancelled` every
//     100 ms (SIGTERM ends the wait);
//   - exec() sends a command and waits for its results the same way (a deadline and a cancel
//     check), so a silent server costs at most the deadline.
// Waits that outlive these (a pipelined statement in flight) are bounded by the daemon's
// supervisor, which shuts the socket down (daemon/supervisor.hpp).
// Not for: owning connections (pg::Connection, stream::ReplicationConnection do) or SQL.
// Thread-safety: free functions; a PGconn is used by one thread at a time.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dualwrite::pg {

// Asked every 100 ms during a wait; true ends it (e.g. SIGTERM). Empty: never.
using Cancelled = std::function<bool()>;

inline constexpr std::chrono::seconds kConnectTimeout{10};

// A process-wide stop request (the daemon's SIGTERM flag), asked by every connect() and exec()
// besides their own `cancelled`: connections opened by code that takes no cancel callback
// (start-up checks, admin helpers) also end their waits on SIGTERM. Set once, before any
// connection; `flag` must outlive them all.
void set_process_stop(const std::atomic<bool>* flag);

// The defaults every connection gets unless its conninfo sets them: TCP keepalives (first probe
// after 10 s idle, then every 5 s, 3 lost = dead) and tcp_user_timeout (sent data unacknowledged
// for 30 s = dead). Unix-socket connections ignore them.
const std::vector<std::pair<std::string, std::string>>& connection_defaults();

struct Param {
  std::string key;
  std::string value;
};

// Connects to `conninfo` (key=value or URI), with the defaults before it and `extra` after it
// (extra wins: replication=database, a password from a file). nullptr only out of memory. On
// failure (status not CONNECTION_OK) `error` says why: the server's or libpq's message, or
// "timed out after N s (connect_timeout)", or "cancelled".
PGconn* connect(const std::string& conninfo, const std::vector<Param>& extra,
                const Cancelled& cancelled, std::string& error);

// The connect_timeout in force for `conn` (its conninfo's, else kConnectTimeout).
std::chrono::milliseconds connect_timeout_of(PGconn* conn);

// Outcome of exec(): the last result (or the first COPY result), or why there is none.
struct ExecResult {
  PGresult* result = nullptr;  // owned by the caller (PQclear)
  std::string error;           // non-empty when the wait ended without a result
};

// Sends `command` (the simple query protocol when `params` is nullptr, else the extended one,
// one statement) and waits for its results, at most `timeout` (0: no limit) and until `cancelled`.
// A timeout or cancellation leaves the connection unusable (its socket is shut down); the caller
// drops it.
ExecResult exec(PGconn* conn, const std::string& command, const std::vector<const char*>* params,
                std::chrono::milliseconds timeout, const Cancelled& cancelled);

// Waits until `conn`'s socket is readable (or writable) for at most `ms`; false on timeout.
bool wait_socket(PGconn* conn, bool for_write, int ms);

// Pure: whether a failure to connect (or its wrapping message) is one that time may cure, so
// that retrying is right: the server is down, starting up, shutting down, in recovery, out of
// connection slots, unreachable, or did not answer in time. Not: authentication, a missing
// database or role, pg_hba.conf, SSL or a malformed conninfo: those fail the same way until a
// person acts. A message that is not about connecting (a query's error) is not transient.
bool transient_connect_failure(std::string_view message);

// Ends any wait on `fd` from another thread: shutdown(2) makes the blocked poll/recv return and
// libpq report the connection as lost. The descriptor stays open (its owner closes it).
void shut_down(int fd);

}  // namespace dualwrite::pg
