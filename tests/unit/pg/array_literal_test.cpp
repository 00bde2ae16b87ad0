// The array literals the commands pass as $n::text[] (pg/connection.hpp). A quoting mistake here
// would hand the server other names than the ones meant, so the escaping is spelt out.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "dualwrite/pg/connection.hpp"

namespace dualwrite::pg {
namespace {

TEST(ArrayLiteral, QuotesEveryElement) {
  EXPECT_EQ(array_literal(std::vector<std::string>{"a", "b c", "NULL"}), R"({"a","b c","NULL"})");
}

TEST(ArrayLiteral, EmptyIsBraces) {
  EXPECT_EQ(array_literal(std::vector<std::string>{}), "{}");
  EXPECT_EQ(array_literal(std::vector<std::string>{""}), R"({""})");
}

TEST(ArrayLiteral, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(array_literal(std::vector<std::string>{R"(say "hi")", R"(C:\dir)", "{,}"}),
            R"({"say \"hi\"","C:\\dir","{,}"})");
}

TEST(ArrayLiteral, TakesStringViews) {
  const std::array<std::string_view, 2> versions{"20261125000100", "20261204000800"};
  EXPECT_EQ(array_literal(versions), R"({"20261125000100","20261204000800"})");
}

}  // namespace
}  // namespace dualwrite::pg
