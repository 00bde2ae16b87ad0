#include <gtest/gtest.h>

#include <string>

#include "dualwrite/core/error.hpp"

namespace dualwrite {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return make_error(ErrorDomain::decode, "odd: " + std::to_string(n));
  return n / 2;
}

TEST(Result, CarriesAValueOrAnError) {
  auto good = half(8);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 4);
  auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().domain, ErrorDomain::decode);
  EXPECT_EQ(bad.error().message, "odd: 3");
}

TEST(Result, WrongAlternativeThrowsInsteadOfReturningGarbage) {
  auto bad = half(3);
  EXPECT_THROW((void)bad.value(), std::bad_variant_access);
}

TEST(ErrorDomain, ExitCodesAreDistinctAndNonZero) {
  EXPECT_EQ(exit_code(ErrorDomain::usage), 2);
  EXPECT_EQ(exit_code(ErrorDomain::source), 4);
  EXPECT_EQ(exit_code(ErrorDomain::target), 5);
  EXPECT_EQ(exit_code(ErrorDomain::slot_lost), 6);
  EXPECT_STREQ(to_string(ErrorDomain::slot_lost), "slot_lost");
}

}  // namespace
}  // namespace dualwrite
