// Every statement the programs send from sql/<stage>/*.sql is valid against the migrated
// schema: queries and DML are PREPAREd (names, types and parameter use checked by the server's
// parser and planner), utility statements (a session's setup, DDL) are run inside a transaction
// that is rolled back. Each stage's `session_setup`, when it has one, runs first: the other
// statements may use what it creates (temp tables).
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stages.inc"
#include "support/pg_test.hpp"

namespace {

using dualwrite::testing::TestDatabase;

// The statement's first keyword, past comments and blanks, in lower case.
std::string first_keyword(std::string_view sql) {
  std::size_t i = 0;
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i]))) {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
      if (i == std::string_view::npos) return {};
    } else if (sql.substr(i, 2) == "/*") {
      i = sql.find("*/", i);
      if (i == std::string_view::npos) return {};
      i += 2;
    } else {
      break;
    }
  }
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[i++])));
  }
  return word;
}

bool preparable(std::string_view sql) {
  const std::string k = first_keyword(sql);
  return k == "select" || k == "with" || k == "insert" || k == "update" || k == "delete" ||
         k == "values" || k == "merge" || k == "table";
}

std::string error_of(PGresult* r, PGconn* c) {
  const char* m = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(c);
  return m != nullptr ? m : "";
}

TEST(Statements, EveryStatementOfEveryStageIsValidAgainstTheMigratedSchema) {
  ASSERT_FALSE(kStages.empty());
  for (const auto& [stage, statements] : kStages) {
    TestDatabase db(std::string("sql_") + std::string(stage));
    for (const auto& [name, text] : statements) {
      if (name == "session_setup") db.exec(std::string(text));
    }
    int n = 0;
    for (const auto& [name, text] : statements) {
      if (name == "session_setup") continue;
      SCOPED_TRACE(std::string("sql/") + std::string(stage) + "/" + std::string(name) + ".sql");
      const std::string sql(text);
      if (preparable(sql)) {
        const std::string statement = "check_" + std::to_string(n++);
        PGresult* r = PQprepare(db.conn(), statement.c_str(), sql.c_str(), 0, nullptr);
        EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << error_of(r, db.conn());
        PQclear(r);
      } else {
        db.exec("BEGIN");
        PGresult* r = PQexec(db.conn(), sql.c_str());
        EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << error_of(r, db.conn());
        PQclear(r);
        db.exec("ROLLBACK");
      }
    }
  }
}

// Every statement file opens with its header: a comment saying what it is for, what it returns
// and its parameters, so that it reads on its own in psql.
TEST(Statements, EveryStatementOpensWithAHeaderComment) {
  for (const auto& [stage, statements] : kStages) {
    for (const auto& [name, text] : statements) {
      EXPECT_EQ(text.substr(0, 3), "-- ")
          << "sql/" << stage << "/" << name << ".sql does not open with a header comment";
    }
  }
}

// sql/check/, the queries of `dualwrite check`, are among the statements PREPAREd above (its
// CMake stage registers them like every other; a stage missing here would go unchecked).
TEST(Statements, TheStagesIncludeCheck) {
  bool check = false;
  for (const auto& [stage, statements] : kStages) {
    if (stage == "check") check = !statements.empty();
  }
  EXPECT_TRUE(check);
}

// The test is not vacuous: a broken statement is refused.
TEST(Statements, ABrokenStatementIsRefused) {
  TestDatabase db("sql_broken");
  PGresult* r = PQprepare(db.conn(), "broken",
                          "SELECT no_such_column FROM public.accounts WHERE id = $1", 0, nullptr);
  EXPECT_NE(PQresultStatus(r), PGRES_COMMAND_OK);
  PQclear(r);
}

}  // namespace
