// ReplicationConnection: a libpq connection in logical replication mode (replication=database).
//
// For: the replication commands the daemon and bootstrap need (IDENTIFY_SYSTEM,
// CREATE_REPLICATION_SLOT ... LOGICAL pgoutput with a snapshot action, SHOW, START_REPLICATION)
// and the slot health check, each returning Result with the domain that says what to do:
// ErrorDomain::slot_lost (fatal, exit 6) for a missing or invalidated slot, ErrorDomain::source
// (retry) for everything else. The replication commands' identifiers and literals are quoted
// with PQescapeIdentifier / PQescapeLiteral; the slot check is sql/stream/slot_check.sql, the
// slot's name filled in as a quoted literal (core/sql_template.hpp). After start_replication() the
// connection is in COPY BOTH mode and belongs to the stream driver (stream/driver.hpp). Not for:
// ordinary SQL sessions (the replication protocol refuses the extended query protocol) or the
// CopyData loop itself.
//
// An exported snapshot (SnapshotAction::export_snapshot) lives only while this connection stays
// open and runs no other command: keep the object alive and idle until the backfill that
// imports the snapshot (SET TRANSACTION SNAPSHOT) has finished.
// Deadlines: connecting gives up after connect_timeout (pg/session.hpp, with TCP keepalives and
// tcp_user_timeout); IDENTIFY_SYSTEM, SHOW, the slot check and START_REPLICATION wait at most
// kCommandTimeout for an answer; CREATE_REPLICATION_SLOT waits as long as the server needs (it
// waits for running transactions to end). Every wait ends early when `cancelled` says so.
// Thread-safety: not thread-safe; one thread at a time (like a PGconn).
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dualwrite/core/error.hpp"
#include "dualwrite/core/lsn.hpp"
#include "dualwrite/pg/session.hpp"

namespace dualwrite::stream {

enum class SnapshotAction { export_snapshot, nothing, use };

struct SystemIdentity {
  std::string systemid;
  std::uint32_t timeline = 0;
  Lsn xlogpos;
  std::string dbname;
};

struct CreatedSlot {
  std::string slot_name;
  Lsn consistent_point;
  std::string snapshot_name;  // empty unless SnapshotAction::export_snapshot
  std::string output_plugin;
};

struct StartOptions {
  std::string slot;
  Lsn start;                              // 0/0: the slot's confirmed_flush_lsn
  std::vector<std::string> publications;  // at least one
  int proto_version = 2;                  // 1, or 2 with streaming of large transactions
  bool messages = true;                   // pg_logical_emit_message messages
};

// Pure: the error domain of a server error. slot_lost for a missing slot (SQLSTATE 42704 about
// a replication slot) or one that can no longer stream (SQLSTATE 55000 "can no longer get
// changes from replication slot"); source for everything else.
ErrorDomain classify_server_error(std::string_view sqlstate, std::string_view message);

// Pure: a GUC duration as SHOW prints it ("0", "500ms", "2s", "1min", "1h", "1d"; a bare number
// is milliseconds, the unit of wal_sender_timeout).
Result<std::chrono::milliseconds> parse_guc_duration(std::string_view text);

class ReplicationConnection {
 public:
  static constexpr std::chrono::seconds kCommandTimeout{60};

  // Connects with `conninfo` (key=value or URI) plus replication=database, and
  // application_name unless the conninfo sets one. `cancelled` is asked during every wait of
  // this connection (connect and commands), so that a stop request ends them.
  static Result<ReplicationConnection> connect(const std::string& conninfo,
                                               const std::string& application_name = "dualwrite",
                                               pg::Cancelled cancelled = {});

  ReplicationConnection(ReplicationConnection&&) noexcept = default;
  ReplicationConnection& operator=(ReplicationConnection&&) noexcept = default;
  ~ReplicationConnection() = default;

  Result<SystemIdentity> identify_system();
  // A temporary slot is dropped by the server when this connection ends (or fails): what a
  // resumed backfill uses to get a fresh exported snapshot without a second durable slot.
  Result<CreatedSlot> create_slot(std::string_view name, SnapshotAction action,
                                  bool temporary = false);
  Result<std::string> show(std::string_view setting);
  // Fails with slot_lost when the slot does not exist or its wal_status is 'lost'.
  Status check_slot(std::string_view name);
  // The START_REPLICATION command for `o`, quoted safely (exposed for tests).
  Result<std::string> start_command(const StartOptions& o);
  // Sends START_REPLICATION and waits for COPY BOTH.
  Status start_replication(const StartOptions& o);

  PGconn* native() { return conn_.get(); }
  int socket() const { return PQsocket(conn_.get()); }
  // The error of the connection as an Error of the right domain (for the last result `res`,
  // when there is one).
  Error error_from(const PGresult* res, std::string_view context) const;

 private:
  struct Finish {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  explicit ReplicationConnection(PGconn* c) : conn_(c) {}
  Result<std::vector<std::vector<std::string>>> query(const std::string& command,
                                                      std::string_view context,
                                                      std::chrono::milliseconds timeout);
  // Sends `command` and waits (timeout 0: no limit) for its result; nullptr with `error` set
  // when the wait ended without one.
  PGresult* send_and_wait(const std::string& command, std::chrono::milliseconds timeout,
                          std::string_view context, std::optional<Error>& error);

  std::unique_ptr<PGconn, Finish> conn_;
  pg::Cancelled cancelled_;
};

}  // namespace dualwrite::stream
