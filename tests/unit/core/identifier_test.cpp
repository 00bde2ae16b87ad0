#include "dualwrite/core/identifier.hpp"

#include <gtest/gtest.h>

namespace dualwrite {
namespace {

TEST(QuoteIdentifier, KeepsCaseAndDoublesQuotes) {
  EXPECT_EQ(quote_identifier("accounts"), "\"accounts\"");
  EXPECT_EQ(quote_identifier("Pub"), "\"Pub\"");
  EXPECT_EQ(quote_identifier("a\"b"), "\"a\"\"b\"");
}

// As PQescapeLiteral writes it: quotes doubled; with a backslash, the E'' form, which reads the
// same under either standard_conforming_strings.
TEST(QuoteLiteral, DoublesQuotesAndEscapesBackslashes) {
  EXPECT_EQ(quote_literal("dualwrite"), "'dualwrite'");
  EXPECT_EQ(quote_literal("it's"), "'it''s'");
  EXPECT_EQ(quote_literal(""), "''");
  EXPECT_EQ(quote_literal("a\\b'c"), " E'a\\\\b''c'");
}

TEST(QuoteQualified, QuotesEachPart) {
  EXPECT_EQ(quote_qualified("public.accounts"), "\"public\".\"accounts\"");
  EXPECT_EQ(quote_qualified("dw_backfill_likes"), "\"dw_backfill_likes\"");
}

}  // namespace
}  // namespace dualwrite
