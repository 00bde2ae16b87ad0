#include "support/pg_test.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace dualwrite::testing {

namespace {

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

PGconn* connect_or_throw(const std::string& conninfo) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    throw std::runtime_error("cannot connect to test server (" + conninfo + "): " + msg);
  }
  return c;
}

ResultPtr run(PGconn* c, const std::string& sql) {
  ResultPtr r(PQexec(c, sql.c_str()));
  const auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    throw std::runtime_error("SQL failed: " + sql.substr(0, 200) + ": " + PQerrorMessage(c));
  }
  return r;
}

}  // namespace

std::string server_conninfo() {
  const char* env = std::getenv("DUALWRITE_TEST_CONNINFO");
  if (env == nullptr || *env == '\0') {
    throw std::runtime_error(
        "DUALWRITE_TEST_CONNINFO is not set: integration tests need the server that "
        "scripts/test starts (run scripts/test, or export the conninfo of scripts/dev-db up)");
  }
  return env;
}

std::string with_dbname(const std::string& base, std::string_view dbname) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(base.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = err ? err : "unparsable conninfo";
    PQfreemem(err);
    throw std::runtime_error(msg);
  }
  std::string out;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "dbname" || o->val == nullptr) continue;
    out += std::string(o->keyword) + "='" + o->val + "' ";
  }
  PQconninfoFree(opts);
  out += "dbname='" + std::string(dbname) + "'";
  return out;
}

TestDatabase::TestDatabase(std::string_view name_hint, std::string_view template_db) {
  static std::atomic<int> counter{0};
  const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count() % 1000000;
  name_ = "t_" + std::string(name_hint.substr(0, 30)) + "_" + std::to_string(getpid()) + "_" +
          std::to_string(counter++) + "_" + std::to_string(stamp);
  for (auto& ch : name_) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  const std::string admin_info = with_dbname(server_conninfo(), "postgres");
  std::unique_ptr<PGconn, PgConnDeleter> admin(connect_or_throw(admin_info));
  run(admin.get(), "CREATE DATABASE " + name_ + " TEMPLATE " + std::string(template_db));
  conninfo_ = with_dbname(server_conninfo(), name_);
  conn_ = connect_or_throw(conninfo_);
}

TestDatabase::~TestDatabase() {
  if (conn_ != nullptr) PQfinish(conn_);
  try {
    std::unique_ptr<PGconn, PgConnDeleter> admin(
        connect_or_throw(with_dbname(server_conninfo(), "postgres")));
    // Slots pin a database; drop ours before the database itself. Replication origins are
    // cluster-wide and take one of max_replication_slots' state slots each: tests name theirs
    // after their database, and drop them here.
    run(admin.get(),
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" +
            name_ + "' AND NOT active");
    // A session that held an origin gives it back when its backend exits, a moment after the
    // client closed it (PQfinish does not wait): wait for this database's sessions to end.
    for (int i = 0; i < 100; ++i) {
      const auto left = run(admin.get(), "SELECT count(*) FROM pg_stat_activity WHERE datname = '" +
                                             name_ + "' AND backend_type = 'client backend'");
      if (std::string(PQgetvalue(left.get(), 0, 0)) == "0") break;
      ::usleep(100'000);
    }
    run(admin.get(),
        "SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname LIKE '" +
            name_ + "%' OR roname = '" + name_ + "'");
    run(admin.get(), "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cleanup of " << name_ << " failed: " << e.what();
  }
}

void TestDatabase::exec(const std::string& sql) {
  run(conn_, sql);
}

std::string TestDatabase::scalar(const std::string& sql) {
  auto r = run(conn_, sql);
  if (PQntuples(r.get()) == 0 || PQgetisnull(r.get(), 0, 0)) return "";
  return PQgetvalue(r.get(), 0, 0);
}

std::vector<std::string> TestDatabase::rows(const std::string& sql) {
  auto r = run(conn_, sql);
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    std::string line;
    for (int j = 0; j < PQnfields(r.get()); ++j) {
      if (j) line += '|';
      line += PQgetisnull(r.get(), i, j) ? "<NULL>" : PQgetvalue(r.get(), i, j);
    }
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace dualwrite::testing
