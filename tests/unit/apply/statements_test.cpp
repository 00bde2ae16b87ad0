// The staged form of the apply statements (apply/statements.hpp): derived from the same file,
// its rows read from dualwrite.apply_stage. The server-side check (PREPAREd against the
// migrated schema, applied with results equal to the array form) is in tests/integration.
#include "dualwrite/apply/statements.hpp"

#include <gtest/gtest.h>

#include <string>

#include "dualwrite/apply/batch.hpp"
#include "dualwrite/translate/ops.hpp"

namespace dualwrite::apply {
namespace {

TEST(StagedStatement, TheArraysBecomeTheStageAndTheStatementDeletesWhatItReads) {
  const auto staged = staged_sql(
      "-- a header\n"
      "WITH src AS (\n"
      "  SELECT s.ord, s.a::uuid FROM unnest($1::text[], $2::text[])\n"
      "         WITH ORDINALITY AS s(a, b, ord)\n"
      ")\n"
      "SELECT ord FROM src;\n");
  ASSERT_TRUE(staged.has_value());
  EXPECT_EQ(*staged,
            "-- a header\n"
            "WITH dw_staged AS (DELETE FROM dualwrite.apply_stage RETURNING *),\n"
            "     src AS (\n"
            "  SELECT s.ord, s.a::uuid FROM (SELECT v1, v2, ord FROM dw_staged ORDER BY ord)"
            " AS s(a, b, ord)\n"
            ")\n"
            "SELECT ord FROM src;\n");
}

TEST(StagedStatement, AStatementWithoutWithGainsOne) {
  const auto staged =
      staged_sql("INSERT INTO t SELECT * FROM unnest($1::text[]) WITH ORDINALITY AS s(a, ord);");
  ASSERT_TRUE(staged.has_value());
  EXPECT_EQ(*staged,
            "WITH dw_staged AS (DELETE FROM dualwrite.apply_stage RETURNING *)\n"
            "INSERT INTO t SELECT * FROM (SELECT v1, ord FROM dw_staged ORDER BY ord) AS s(a, "
            "ord);");
}

TEST(StagedStatement, OnlyWhenTheArraysAreAllItsParameters) {
  // Parameters named in comments are no parameters.
  EXPECT_TRUE(staged_sql("-- $1 the id, $2 the name\nSELECT * FROM unnest($1::text[]) WITH "
                         "ORDINALITY AS s(a, ord) -- $3\n")
                  .has_value());
  // A parameter outside the arrays: it would have no value.
  EXPECT_FALSE(staged_sql("SELECT * FROM unnest($1::text[]) WITH ORDINALITY AS s(a, ord) "
                          "WHERE a = $2")
                   .has_value());
  // No ordinality, numbered out of order, an array of another type, no unnest at all.
  EXPECT_FALSE(staged_sql("SELECT * FROM unnest($1::text[]) AS s(a)").has_value());
  EXPECT_FALSE(staged_sql("SELECT * FROM unnest($2::text[], $1::text[]) WITH ORDINALITY AS s(a, "
                          "b, ord)")
                   .has_value());
  EXPECT_FALSE(
      staged_sql("SELECT * FROM unnest($1::uuid[]) WITH ORDINALITY AS s(a, ord)").has_value());
  EXPECT_FALSE(staged_sql("SELECT 1").has_value());
  // More columns than the stage has.
  std::string many = "SELECT * FROM unnest(";
  for (std::size_t i = 1; i <= kStageColumns + 1; ++i) {
    many += (i > 1 ? ", $" : "$") + std::to_string(i) + "::text[]";
  }
  many += ") WITH ORDINALITY AS s";
  EXPECT_FALSE(staged_sql(many).has_value());
}

TEST(StagedStatement, TheBulkKindsHaveOne) {
  using translate::OpKind;
  for (auto kind : {OpKind::feedback_insert, OpKind::feedback_update, OpKind::offline_put,
                    OpKind::message_put, OpKind::session_put, OpKind::suggestion_put,
                    OpKind::profile_put, OpKind::link_put, OpKind::account_metadata_put}) {
    const Statement* staged = staged_statement(slot_of(kind));
    ASSERT_NE(staged, nullptr) << slot_name(slot_of(kind));
    EXPECT_EQ(staged->name, std::string(slot_statement(slot_of(kind)).name) + "_staged");
    EXPECT_EQ(staged->sql.find("unnest($"), std::string_view::npos) << staged->name;
    EXPECT_NE(staged->sql.find("FROM dw_staged ORDER BY ord"), std::string_view::npos);
  }
  EXPECT_NE(staged_statement(kLetterSlot), nullptr);
  EXPECT_EQ(staged_statement(kSlotCount), nullptr);
}

TEST(StagedStatement, TheCopyNamesTheColumnsInOrder) {
  EXPECT_EQ(stage_copy_sql(3),
            "COPY dualwrite.apply_stage (ord, v1, v2, v3) FROM STDIN (FORMAT binary)");
  EXPECT_THROW((void)stage_copy_sql(kStageColumns + 1), std::out_of_range);
}

}  // namespace
}  // namespace dualwrite::apply

namespace dualwrite::apply {
namespace {

TEST(GenericPlan, OnlyTheStatementsWhosePlanningOutweighsTheirRun) {
  using translate::OpKind;
  std::size_t marked = 0;
  for (std::size_t slot = 0; slot < kSlotCount; ++slot) {
    if (prefers_generic_plan(slot)) ++marked;
  }
  for (const OpKind kind : {OpKind::feedback_update, OpKind::feedback_delete,
                            OpKind::suggestion_put, OpKind::session_put, OpKind::message_put,
                            OpKind::summary_put, OpKind::offline_put, OpKind::profile_put}) {
    EXPECT_TRUE(prefers_generic_plan(slot_of(kind))) << translate::info(kind).name;
  }
  // PostgreSQL settles on generic plans for the others itself, or they are rare or heavy
  // (bench/README.md): leave them; so does the dead-letter slot.
  EXPECT_FALSE(prefers_generic_plan(slot_of(OpKind::feedback_insert)));
  EXPECT_FALSE(prefers_generic_plan(slot_of(OpKind::activity_put)));
  EXPECT_FALSE(prefers_generic_plan(slot_of(OpKind::link_put)));
  EXPECT_FALSE(prefers_generic_plan(kLetterSlot));
  EXPECT_EQ(marked, 8u);
}

}  // namespace
}  // namespace dualwrite::apply
