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

}  // namespace
}  // namespace dualwrite
