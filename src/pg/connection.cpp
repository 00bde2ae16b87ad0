#include "dualwrite/pg/connection.hpp"

namespace dualwrite::pg {

Connection Connection::open(const std::string& conninfo, const std::string& password) {
  std::vector<const char*> keys{"dbname"};
  std::vector<const char*> values{conninfo.c_str()};
  if (!password.empty()) {
    keys.push_back("password");
    values.push_back(password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  Connection c;
  // expand_dbname=1: the first "dbname" holds the whole conninfo string.
  c.conn_.reset(PQconnectdbParams(keys.data(), values.data(), 1));
  if (!c.conn_ || PQstatus(c.conn_.get()) != CONNECTION_OK) {
    std::string msg = c.conn_ ? PQerrorMessage(c.conn_.get()) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    throw DbError("cannot connect: " + msg, "", true);
  }
  return c;
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
  ResultPtr r(PQexec(conn_.get(), std::string(sql).c_str()));
  const auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) throw error_of(r.get());
}

ResultPtr Connection::query(std::string_view sql, const std::vector<const char*>& params) {
  ResultPtr r(PQexecParams(conn_.get(), std::string(sql).c_str(), static_cast<int>(params.size()),
                           nullptr, params.data(), nullptr, nullptr, 0));
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

void append_array_element(std::string& literal, std::string_view value) {
  literal += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') literal += '\\';
    literal += c;
  }
  literal += '"';
}

}  // namespace dualwrite::pg
