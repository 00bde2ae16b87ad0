#include "dualwrite/core/sql_template.hpp"

#include <gtest/gtest.h>

namespace dualwrite {
namespace {

// A statement file's :"name" is filled as psql would fill it; a ::"type" cast is left alone.
TEST(WithIdentifier, FillsEveryPlaceholderAndNothingElse) {
  EXPECT_EQ(with_identifier("SELECT * FROM s.:\"view\" x", "view", "accounts"),
            "SELECT * FROM s.\"accounts\" x");
  EXPECT_EQ(with_identifier("SELECT 1 FROM :\"t\" JOIN :\"t\"", "t", "a\"b"),
            "SELECT 1 FROM \"a\"\"b\" JOIN \"a\"\"b\"");
  EXPECT_EQ(with_identifier("SELECT 'w'::\"char\", :\"char\"", "char", "c"),
            "SELECT 'w'::\"char\", \"c\"");
  EXPECT_EQ(with_identifier("SELECT :\"other\", :view", "view", "v"), "SELECT :\"other\", :view");
}

TEST(WithLiteral, FillsQuotedLiteralsOnly) {
  EXPECT_EQ(with_literal("SELECT 1 WHERE slot_name = :'slot'", "slot", "dw"),
            "SELECT 1 WHERE slot_name = 'dw'");
  EXPECT_EQ(with_literal("SELECT :'slot', :\"slot\", :slot, ':''slot'", "slot", "it's"),
            "SELECT 'it''s', :\"slot\", :slot, ':''slot'");
  EXPECT_EQ(with_identifier("SELECT :'t'", "t", "x"), "SELECT :'t'");
}

TEST(WithSql, FillsTheWholeNameOnly) {
  EXPECT_EQ(with_sql("SELECT 1 WHERE :range", "range", "(a < 2)"), "SELECT 1 WHERE (a < 2)");
  EXPECT_EQ(with_sql("SELECT x::range, :ranges, :\"range\" WHERE :range", "range", "true"),
            "SELECT x::range, :ranges, :\"range\" WHERE true");
  EXPECT_EQ(with_sql("SELECT :rows:rows", "rows", "1"), "SELECT 11");
}

// As psql does: nothing inside comments or quotes (a header comment naming its placeholder stays
// a comment, whatever text fills it).
TEST(WithSql, LeavesCommentsAndQuotesAlone) {
  EXPECT_EQ(with_sql("-- :rows here\nSELECT :rows", "rows", "1\n2"), "-- :rows here\nSELECT 1\n2");
  EXPECT_EQ(with_sql("/* :rows */ SELECT ':rows', \":rows\", :rows", "rows", "1"),
            "/* :rows */ SELECT ':rows', \":rows\", 1");
  EXPECT_EQ(with_sql("SELECT 'it''s :rows', :rows", "rows", "1"), "SELECT 'it''s :rows', 1");
}

TEST(IsTemplate, SeesVariablesOutsideCommentsAndQuotesOnly) {
  EXPECT_TRUE(is_template("SELECT * FROM :\"t\""));
  EXPECT_TRUE(is_template("SELECT 1 WHERE :range"));
  EXPECT_TRUE(is_template("SELECT 1 WHERE slot_name = :'slot'"));
  EXPECT_FALSE(is_template("-- :range\nSELECT 'HH24:MI:SS', x::text, 'w'::\"char\", a[1:2]"));
}

}  // namespace
}  // namespace dualwrite
