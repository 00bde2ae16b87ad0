// Test support: a fresh PostgreSQL database per integration test.
//
// For: integration tests, which run against the real server that scripts/test starts
// (DUALWRITE_TEST_CONNINFO). Each TestDatabase is a new database cloned from
// dualwrite_template (shim + legacy fixture + migrations, no rows) and dropped afterwards, so
// tests can run in parallel and never see each other's slots or rows.
// Not for: production code, or mocking anything: there is no fake database here.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <string_view>
#include <vector>

namespace dualwrite::testing {

// The conninfo of the test server (fails the test when scripts/test did not provide one).
std::string server_conninfo();

// `base` with its dbname replaced (or added).
std::string with_dbname(const std::string& base, std::string_view dbname);

class TestDatabase {
 public:
  explicit TestDatabase(std::string_view name_hint,
                        std::string_view template_db = "dualwrite_template");
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& conninfo() const { return conninfo_; }

  // Runs SQL on this database's own session; fails the test on error.
  void exec(const std::string& sql);
  // First column of the first row (empty string for NULL or no rows).
  std::string scalar(const std::string& sql);
  // All rows, each column as text ("<NULL>" for NULL), columns joined by '|'.
  std::vector<std::string> rows(const std::string& sql);
  PGconn* conn() { return conn_; }

 private:
  std::string name_;
  std::string conninfo_;
  PGconn* conn_ = nullptr;
};

}  // namespace dualwrite::testing
