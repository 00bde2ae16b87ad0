#include "dualwrite/core/identifier.hpp"

#include <gtest/gtest.h>

namespace dualwrite {
namespace {

TEST(QuoteIdentifier, KeepsCaseAndDoublesQuotes) {
  EXPECT_EQ(quote_identifier("accounts"), "\"accounts\"");
  EXPECT_EQ(quote_identifier("Pub"), "\"Pub\"");
  EXPECT_EQ(quote_identifier("a\"b"), "\"a\"\"b\"");
}

TEST(QuoteQualified, QuotesEachPart) {
  EXPECT_EQ(quote_qualified("public.accounts"), "\"public\".\"accounts\"");
  EXPECT_EQ(quote_qualified("dw_backfill_likes"), "\"dw_backfill_likes\"");
}

// A statement file's :"name" is filled as psql would fill it; a ::"type" cast is left alone.
TEST(WithIdentifier, FillsEveryPlaceholderAndNothingElse) {
  EXPECT_EQ(with_identifier("SELECT * FROM s.:\"view\" x", "view", "accounts"),
            "SELECT * FROM s.\"accounts\" x");
  EXPECT_EQ(with_identifier("-- :\"t\"\nSELECT 1 FROM :\"t\"", "t", "a\"b"),
            "-- \"a\"\"b\"\nSELECT 1 FROM \"a\"\"b\"");
  EXPECT_EQ(with_identifier("SELECT 'w'::\"char\", :\"char\"", "char", "c"),
            "SELECT 'w'::\"char\", \"c\"");
  EXPECT_EQ(with_identifier("SELECT :\"other\"", "view", "v"), "SELECT :\"other\"");
}

}  // namespace
}  // namespace dualwrite
