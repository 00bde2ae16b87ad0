#include "dualwrite/pg/connection.hpp"

namespace dualwrite::pg {

Connection Connection::open(const std::string& conninfo, const std::string& password,
                            const pg::Cancelled& cancelled) {
  std::vector<pg::Param> extra;
  if (!password.empty()) extra.push_back({"password", password});
  Connection c;
  std::string error;
  c.conn_.reset(pg::connect(conninfo, extra, cancelled, error));
  if (!c.conn_ || PQstatus(c.conn_.get()) != CONNECTION_OK) {
    throw DbError("cannot connect: " + error, "", true);
  }
  return c;
}

void Connection::set_wait_limit(std::chrono::milliseconds limit, pg::Cancelled cancelled) {
  wait_limit_ = limit;
  cancelled_ = std::move(cancelled);
}

ResultPtr Connection::run(std::string_view sql, const std::vector<const char*>* params) {
  if (wait_limit_ <= std::chrono::milliseconds::zero() && !cancelled_) {
    if (params == nullptr) return ResultPtr(PQexec(conn_.get(), std::string(sql).c_str()));
    return ResultPtr(PQexecParams(conn_.get(), std::string(sql).c_str(),
                                  static_cast<int>(params->size()), nullptr, params->data(),
                                  nullptr, nullptr, 0));
  }
  auto r = pg::exec(conn_.get(), std::string(sql), params, wait_limit_, cancelled_);
  if (!r.error.empty()) {
    conn_.reset();
    throw DbError("waiting for the server: " + r.error, "", true);
  }
  return ResultPtr(r.result);
}

DbError Connection::error_of(const PGresult* result) const {
  std::string msg = result ? PQresultErrorMessage(result) : "";
  if (msg.empty()) msg = PQerrorMessage(conn_.get());
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  // Without a SQLSTATE the server did not answer: the connection is gone even if libpq has not
  // noticed yet (its status changes on the next use).
  const bool lost = PQstatus(conn_.get()) != CONNECTION_OK || state == nullptr;
  return DbError(msg, state ? state : "", lost);
}

void Connection::exec(std::string_view sql) {
  ResultPtr r = run(sql, nullptr);
  const auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw error_of(r.get());
}

ResultPtr Connection::query(std::string_view sql, const std::vector<const char*>& params) {
  ResultPtr r = run(sql, &params);
  const auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw error_of(r.get());
  return r;
}

std::string Connection::scalar(std::string_view sql, const std::vector<const char*>& params,
                               bool* found) {
  auto r = query(sql, params);
  const bool has = PQntuples(r.get()) > 0 && !PQgetisnull(r.get(), 0, 0);
  if (found) *found = has;
  return has ? PQgetvalue(r.get(), 0, 0) : "";
}

void create_origin_if_missing(Connection& conn, const std::string& name) {
  bool found = false;
  conn.scalar("SELECT pg_replication_origin_oid($1)", {name.c_str()}, &found);
  if (!found) conn.query("SELECT pg_replication_origin_create($1)", {name.c_str()});
}

void append_array_element(std::string& literal, std::string_view value) {
  literal += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') literal += '\\';
    literal += c;
  }
  literal += '"';
}

}  // namespace dualwrite::pg
