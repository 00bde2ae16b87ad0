#include "dualwrite/stream/replication.hpp"

#include <charconv>
#include <cstdlib>

#include "dualwrite/core/identifier.hpp"
#include "dualwrite/core/sql_template.hpp"
#include "dualwrite/sql/stream.hpp"

namespace dualwrite::stream {

namespace {

struct ClearResult {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ClearResult>;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

ErrorDomain classify_server_error(std::string_view sqlstate, std::string_view message) {
  if (sqlstate == "42704" && message.find("replication slot") != std::string_view::npos) {
    return ErrorDomain::slot_lost;
  }
  if (sqlstate == "55000" &&
      message.find("can no longer get changes from replication slot") != std::string_view::npos) {
    return ErrorDomain::slot_lost;
  }
  return ErrorDomain::source;
}

Result<std::chrono::milliseconds> parse_guc_duration(std::string_view text) {
  std::int64_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || ptr == text.data() || n < 0) {
    return make_error(ErrorDomain::source, "unparsable duration '" + std::string(text) + "'");
  }
  const std::string_view unit(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
  std::int64_t scale = 0;
  if (unit.empty() || unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "min")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else if (unit == "d")
    scale = 86'400'000;
  else
    return make_error(ErrorDomain::source, "unknown unit in duration '" + std::string(text) + "'");
  return std::chrono::milliseconds(n * scale);
}

Result<ReplicationConnection> ReplicationConnection::connect(const std::string& conninfo,
                                                             const std::string& application_name,
                                                             pg::Cancelled cancelled) {
  // Keywords after the conninfo override it, so replication=database always wins and
  // application_name is a fallback.
  std::string error;
  PGconn* c = pg::connect(
      conninfo, {{"replication", "database"}, {"fallback_application_name", application_name}},
      cancelled, error);
  ReplicationConnection rc(c);
  rc.cancelled_ = std::move(cancelled);
  if (c == nullptr) return make_error(ErrorDomain::source, "out of memory creating a connection");
  if (PQstatus(c) != CONNECTION_OK) {
    return make_error(ErrorDomain::source, "replication connection failed: " + error);
  }
  return rc;
}

PGresult* ReplicationConnection::send_and_wait(const std::string& command,
                                               std::chrono::milliseconds timeout,
                                               std::string_view context,
                                               std::optional<Error>& error) {
  auto r = pg::exec(conn_.get(), command, nullptr, timeout, cancelled_);
  if (!r.error.empty()) {
    error = make_error(ErrorDomain::source, std::string(context) + ": " + r.error);
    return nullptr;
  }
  if (r.result == nullptr) error = error_from(nullptr, context);
  return r.result;
}

Error ReplicationConnection::error_from(const PGresult* res, std::string_view context) const {
  std::string sqlstate;
  std::string message = trim(PQerrorMessage(conn_.get()));
  if (res != nullptr) {
    if (const char* s = PQresultErrorField(res, PG_DIAG_SQLSTATE)) sqlstate = s;
    if (const char* m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)) message = m;
  }
  std::string text = std::string(context) + ": " + message;
  if (!sqlstate.empty()) text += " (SQLSTATE " + sqlstate + ")";
  return make_error(classify_server_error(sqlstate, message), std::move(text));
}

Result<std::vector<std::vector<std::string>>> ReplicationConnection::query(
    const std::string& command, std::string_view context, std::chrono::milliseconds timeout) {
  std::optional<Error> error;
  ResultPtr r(send_and_wait(command, timeout, context, error));
  if (error) return *error;
  const auto st = PQresultStatus(r.get());
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return error_from(r.get(), context);
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    auto& row = rows.emplace_back();
    for (int j = 0; j < PQnfields(r.get()); ++j) {
      row.emplace_back(PQgetisnull(r.get(), i, j) ? "" : PQgetvalue(r.get(), i, j));
    }
  }
  return rows;
}

Result<SystemIdentity> ReplicationConnection::identify_system() {
  auto rows = query("IDENTIFY_SYSTEM", "IDENTIFY_SYSTEM", kCommandTimeout);
  if (!rows) return rows.error();
  if (rows->size() != 1 || (*rows)[0].size() < 4) {
    return make_error(ErrorDomain::source, "IDENTIFY_SYSTEM: unexpected result shape");
  }
  const auto& row = (*rows)[0];
  const auto pos = Lsn::parse(row[2]);
  if (!pos) return make_error(ErrorDomain::source, "IDENTIFY_SYSTEM: bad xlogpos '" + row[2] + "'");
  return SystemIdentity{
      .systemid = row[0],
      .timeline = static_cast<std::uint32_t>(std::strtoul(row[1].c_str(), nullptr, 10)),
      .xlogpos = *pos,
      .dbname = row[3],
  };
}

Result<CreatedSlot> ReplicationConnection::create_slot(std::string_view name, SnapshotAction action,
                                                       bool temporary) {
  char* ident = PQescapeIdentifier(conn_.get(), name.data(), name.size());
  if (ident == nullptr) return error_from(nullptr, "CREATE_REPLICATION_SLOT");
  const std::string quoted = ident;
  PQfreemem(ident);
  const char* snapshot = action == SnapshotAction::export_snapshot ? "export"
                         : action == SnapshotAction::use           ? "use"
                                                                   : "nothing";
  auto rows = query("CREATE_REPLICATION_SLOT " + quoted + (temporary ? " TEMPORARY" : "") +
                        " LOGICAL pgoutput (SNAPSHOT '" + snapshot + "')",
                    "CREATE_REPLICATION_SLOT", std::chrono::milliseconds::zero());
  if (!rows) return rows.error();
  if (rows->size() != 1 || (*rows)[0].size() < 4) {
    return make_error(ErrorDomain::source, "CREATE_REPLICATION_SLOT: unexpected result shape");
  }
  const auto& row = (*rows)[0];
  const auto point = Lsn::parse(row[1]);
  if (!point) {
    return make_error(ErrorDomain::source,
                      "CREATE_REPLICATION_SLOT: bad consistent_point '" + row[1] + "'");
  }
  return CreatedSlot{.slot_name = row[0],
                     .consistent_point = *point,
                     .snapshot_name = row[2],
                     .output_plugin = row[3]};
}

Result<std::string> ReplicationConnection::show(std::string_view setting) {
  char* ident = PQescapeIdentifier(conn_.get(), setting.data(), setting.size());
  if (ident == nullptr) return error_from(nullptr, "SHOW");
  const std::string quoted = ident;
  PQfreemem(ident);
  auto rows = query("SHOW " + quoted, "SHOW " + std::string(setting), kCommandTimeout);
  if (!rows) return rows.error();
  if (rows->size() != 1 || (*rows)[0].empty()) {
    return make_error(ErrorDomain::source, "SHOW: unexpected result shape");
  }
  return (*rows)[0][0];
}

Status ReplicationConnection::check_slot(std::string_view name) {
  auto rows =
      query(with_literal(sql::stream::slot_check, "slot", name), "slot check", kCommandTimeout);
  if (!rows) return rows.error();
  if (rows->empty()) {
    return make_error(ErrorDomain::slot_lost,
                      "replication slot \"" + std::string(name) + "\" does not exist");
  }
  if ((*rows)[0][0] == "lost") {
    return make_error(ErrorDomain::slot_lost, "replication slot \"" + std::string(name) +
                                                  "\" is invalidated (wal_status = lost): the "
                                                  "WAL it needs was removed");
  }
  return Ok{};
}

Result<std::string> ReplicationConnection::start_command(const StartOptions& o) {
  if (o.publications.empty()) {
    return make_error(ErrorDomain::usage, "START_REPLICATION needs at least one publication");
  }
  if (o.proto_version != 1 && o.proto_version != 2) {
    return make_error(ErrorDomain::usage, "proto_version must be 1 or 2");
  }
  char* ident = PQescapeIdentifier(conn_.get(), o.slot.data(), o.slot.size());
  if (ident == nullptr) return error_from(nullptr, "START_REPLICATION");
  std::string cmd = "START_REPLICATION SLOT " + std::string(ident) + " LOGICAL " +
                    o.start.to_string() + " (proto_version '" + std::to_string(o.proto_version) +
                    "', publication_names ";
  PQfreemem(ident);
  std::string names;
  for (const auto& p : o.publications) {
    if (!names.empty()) names += ',';
    names += quote_identifier(p);
  }
  char* lit = PQescapeLiteral(conn_.get(), names.data(), names.size());
  if (lit == nullptr) return error_from(nullptr, "START_REPLICATION");
  cmd += lit;
  PQfreemem(lit);
  cmd += std::string(", messages '") + (o.messages ? "true" : "false") + "'";
  if (o.proto_version >= 2) cmd += ", streaming 'on'";
  cmd += ")";
  return cmd;
}

Status ReplicationConnection::start_replication(const StartOptions& o) {
  auto cmd = start_command(o);
  if (!cmd) return cmd.error();
  std::optional<Error> error;
  ResultPtr r(send_and_wait(*cmd, kCommandTimeout, "START_REPLICATION", error));
  if (error) return *error;
  if (PQresultStatus(r.get()) != PGRES_COPY_BOTH) return error_from(r.get(), "START_REPLICATION");
  return Ok{};
}

}  // namespace dualwrite::stream
