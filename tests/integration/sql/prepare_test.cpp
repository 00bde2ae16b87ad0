// Every statement the programs send from sql/<stage>/*.sql is valid against the migrated
// schema: queries and DML are PREPAREd (names, types and parameter use checked by the server's
// parser and planner), utility statements (a session's setup, DDL) are run inside a transaction
// that is rolled back. Each stage's session setups (`session_setup`, `<session>_session_setup`),
// when it has them, run first: the other statements may use what they create (temp tables).
// A template (a file naming its table as :"name", its chunk condition as :range, or a value the
// replication connection cannot take as a parameter as :'name') is checked as the program fills
// it, for every table it is filled with (TemplatesAsTheProgramFillsThem).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/backfill/plan.hpp"
#include "dualwrite/core/sql_template.hpp"
#include "dualwrite/translate/uuid.hpp"
#include "dualwrite/translate/vocabulary.hpp"
#include "dualwrite/verify/statements.hpp"
#include "stages.inc"
#include "support/pg_test.hpp"

namespace {

using dualwrite::is_template;
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

bool is_session_setup(std::string_view name) {
  constexpr std::string_view suffix = "session_setup";
  return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
}

// PREPAREs (or, for a utility statement, runs and rolls back) one statement; a failure names it.
void expect_valid(TestDatabase& db, const std::string& sql, int& n) {
  if (preparable(sql)) {
    const std::string statement = "check_" + std::to_string(n++);
    PGresult* r = PQprepare(db.conn(), statement.c_str(), sql.c_str(), 0, nullptr);
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << error_of(r, db.conn()) << sql;
    PQclear(r);
  } else {
    db.exec("BEGIN");
    PGresult* r = PQexec(db.conn(), sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << error_of(r, db.conn()) << sql;
    PQclear(r);
    db.exec("ROLLBACK");
  }
}

// The session setups of `stage`, run on db's session.
void set_up_sessions(TestDatabase& db, std::string_view stage) {
  for (const auto& [s, statements] : kStages) {
    if (s != stage) continue;
    for (const auto& [name, text] : statements) {
      if (is_session_setup(name)) db.exec(std::string(text));
    }
  }
}

TEST(Statements, EveryStatementOfEveryStageIsValidAgainstTheMigratedSchema) {
  ASSERT_FALSE(kStages.empty());
  for (const auto& [stage, statements] : kStages) {
    TestDatabase db(std::string("sql_") + std::string(stage));
    set_up_sessions(db, stage);
    int n = 0;
    for (const auto& [name, text] : statements) {
      if (is_session_setup(name) || is_template(text)) continue;
      SCOPED_TRACE(std::string("sql/") + std::string(stage) + "/" + std::string(name) + ".sql");
      expect_valid(db, std::string(text), n);
    }
  }
}

// The mapping's uuid namespace is one fact (translate/uuid.hpp): every statement that derives an
// id with uuid_generate_v5 names that namespace, and the expected-state views' v5() (which verify
// compares the bridge's rows against) derives the same id as the bridge.
TEST(Statements, EveryUuidV5IsInTheMappingNamespace) {
  const std::string call = "uuid_generate_v5(";
  int calls = 0;
  for (const auto& [stage, statements] : kStages) {
    for (const auto& [name, text] : statements) {
      SCOPED_TRACE(std::string("sql/") + std::string(stage) + "/" + std::string(name) + ".sql");
      for (auto at = text.find(call); at != std::string_view::npos; at = text.find(call, at + 1)) {
        const auto quote = text.find('\'', at);
        ASSERT_NE(quote, std::string_view::npos);
        EXPECT_EQ(text.substr(quote + 1, dualwrite::translate::kMappingNamespace.size()),
                  dualwrite::translate::kMappingNamespace);
        ++calls;
      }
    }
  }
  EXPECT_GT(calls, 0) << "the check found no call to check";

  TestDatabase db("sql_v5");
  for (const std::string name : {"activity_feedback:42", "offline_likes:u:surf", "é"}) {
    EXPECT_EQ(db.scalar("SELECT dualwrite_expected.v5('" + name + "')::text"),
              std::string(dualwrite::translate::view(dualwrite::translate::mapping_uuid(name))));
  }
}

// The new vocabularies are the enum types of the Phase 0 migration; the translator's lists
// (translate/vocabulary.hpp) must land exactly on them: a value the translator lets through
// that the type lacks would fail on the target, a label it can never produce is a rule lost.
TEST(Statements, TranslatorVocabulariesAreTheEnums) {
  namespace v = dualwrite::translate::vocabulary;
  TestDatabase db("sql_vocabulary");
  auto labels = [&db](const std::string& type) {
    return db.scalar("SELECT array_to_string(enum_range(NULL::public." + type + "), ',')");
  };
  auto joined = [](const auto& values, auto map) {
    std::vector<std::string> out;
    for (std::string_view value : values) {
      const std::string label(map(value));
      if (std::find(out.begin(), out.end(), label) == out.end()) out.push_back(label);
    }
    std::string text;
    for (const auto& label : out) text += (text.empty() ? "" : ",") + label;
    return text;
  };
  auto same = [](std::string_view value) { return value; };
  EXPECT_EQ(joined(v::kAccountStatus, same), labels("account_status"));
  EXPECT_EQ(joined(v::kAgeRange, same), labels("age_range"));
  EXPECT_EQ(joined(v::kRunStatus, same), labels("recommendation_status"));
  EXPECT_EQ(joined(v::kSessionType, same), labels("chat_session_type"));
  EXPECT_EQ(joined(v::kRole, same), labels("chat_role"));
  EXPECT_EQ(joined(v::kFeedbackType, v::interaction_type_of), labels("interaction_type"));
  EXPECT_EQ(joined(v::kSource, v::trigger_of), labels("recommendation_trigger"));
}

// The statements of sql/backfill/ the plan and the runner fill in: each reader as every step
// fills it (the whole of each view: :range true), and the per-table templates for every table
// the runner fills them with.
TEST(Statements, BackfillTemplatesAsTheProgramFillsThem) {
  namespace backfill = dualwrite::backfill;
  namespace files = dualwrite::sql::backfill;
  using dualwrite::with_identifier;
  TestDatabase db("sql_backfill_templates");
  set_up_sessions(db, "backfill");
  int n = 0;
  std::vector<std::string> targets;  // what COPY writes into, staged or not
  for (const auto& step : backfill::steps()) {
    SCOPED_TRACE(step.name);
    if (!step.reader.empty()) expect_valid(db, backfill::with_range(step.reader, "true"), n);
    if (!step.target.empty()) targets.push_back(step.target);
    if (step.kind != backfill::StepKind::letters) {
      expect_valid(db, with_identifier(files::source_rows, "table", step.source_table), n);
    }
    if (step.key == backfill::KeyKind::bigint) {
      expect_valid(db, with_identifier(files::id_range, "table", step.source_table), n);
    }
  }
  for (const auto feedback : {files::feedback_unmerged, files::feedback_merged,
                              files::feedback_plain, files::feedback_likes}) {
    expect_valid(db, backfill::with_range(feedback, "true"), n);
  }
  targets.push_back("dualwrite.merged_interactions");
  for (const auto& target : targets) {
    SCOPED_TRACE(target);
    for (const bool tolerant : {false, true}) {
      const auto stage = backfill::staging(target, tolerant);
      db.exec("BEGIN");
      db.exec(stage.create);
      expect_valid(db, stage.insert, n);
      db.exec("ROLLBACK");
    }
  }
  for (const char* table : dualwrite::admin::kTargetTables) {
    expect_valid(
        db, with_identifier(with_identifier(files::any_row, "schema", "public"), "table", table),
        n);
  }
  expect_valid(db,
               with_identifier(with_identifier(files::any_row, "schema", "dualwrite"), "table",
                               "merged_interactions"),
               n);
}

// The statements of sql/verify/ as verify fills them for each table of compare_spec (read from
// the migrated schema, as verify reads it from the source): both sides' segments, first level
// and below, and their leaf rows under leaves of one level and of two.
TEST(Statements, VerifyTemplatesAsTheProgramFillsThem) {
  namespace verify = dualwrite::verify;
  TestDatabase db("sql_verify_templates");
  set_up_sessions(db, "verify");
  int n = 0;
  const auto specs = db.rows(std::string(dualwrite::sql::verify::compare_spec));
  ASSERT_EQ(specs.size(), dualwrite::admin::kTargetTables.size());
  for (const auto& row : specs) {
    std::vector<std::string> f;
    for (std::size_t at = 0, bar = 0; bar != std::string::npos; at = bar + 1) {
      bar = row.find('|', at);
      f.push_back(row.substr(at, bar == std::string::npos ? std::string::npos : bar - at));
    }
    ASSERT_EQ(f.size(), 6u) << row;  // no '|' inside the expressions
    const verify::Spec spec{f[0], f[1], f[2], f[3], f[4], f[5]};
    SCOPED_TRACE(spec.table);
    for (const auto& side : {verify::expected_statements(spec), verify::actual_statements(spec)}) {
      expect_valid(db, side.segments, n);
      expect_valid(db, side.segments_under, n);
      expect_valid(db, verify::with_leaves(side.leaf_rows, 1), n);
      expect_valid(db, verify::with_leaves(side.leaf_rows, 2), n);
    }
  }
}

// sql/stream/slot_check.sql as the stream fills it (its slot's name a literal: the replication
// connection takes no parameters); PREPAREd here on an ordinary connection, which parses and
// plans it the same way.
TEST(Statements, StreamTemplatesAsTheProgramFillsThem) {
  TestDatabase db("sql_stream_templates");
  int n = 0;
  expect_valid(db, dualwrite::with_literal(dualwrite::sql::stream::slot_check, "slot", "it's"), n);
}

// Every template is among those checked as filled above (a new one needs its line there).
TEST(Statements, EveryTemplateIsCheckedAsFilled) {
  const std::set<std::string_view> checked{
      "backfill/expected_rows",   "backfill/feedback_unmerged",
      "backfill/feedback_merged", "backfill/feedback_plain",
      "backfill/feedback_likes",  "backfill/source_rows",
      "backfill/id_range",        "backfill/stage_create",
      "backfill/stage_insert",    "backfill/stage_insert_tolerant",
      "backfill/any_row",         "verify/expected_rows",
      "verify/actual_rows",       "verify/actual_rows_flagged",
      "verify/segments",          "verify/segments_under",
      "verify/leaf_rows",         "verify/leaf_rows_flagged",
      "stream/slot_check",
  };
  for (const auto& [stage, statements] : kStages) {
    for (const auto& [name, text] : statements) {
      if (!is_template(text)) continue;
      const std::string id = std::string(stage) + "/" + std::string(name);
      EXPECT_TRUE(checked.count(id) == 1) << "sql/" << id << ".sql is a template no test fills";
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
