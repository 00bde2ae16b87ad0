#include "dualwrite/core/lsn.hpp"

#include <gtest/gtest.h>

namespace dualwrite {
namespace {

TEST(Lsn, ParsesAndFormatsTheServerTextForm) {
  const auto lsn = Lsn::parse("16/B374D848");
  ASSERT_TRUE(lsn.has_value());
  EXPECT_EQ(lsn->value(), (std::uint64_t{0x16} << 32) | 0xB374D848u);
  EXPECT_EQ(lsn->to_string(), "16/B374D848");
}

TEST(Lsn, AcceptsLowerCaseAndFormatsUpperCase) {
  EXPECT_EQ(Lsn::parse("0/1a2b3c")->to_string(), "0/1A2B3C");
}

TEST(Lsn, RoundTripsExtremes) {
  EXPECT_EQ(Lsn::parse("0/0")->value(), 0u);
  EXPECT_EQ(Lsn::parse("FFFFFFFF/FFFFFFFF")->value(), UINT64_MAX);
  EXPECT_EQ(Lsn::max().to_string(), "FFFFFFFF/FFFFFFFF");
  EXPECT_EQ(Lsn::invalid().to_string(), "0/0");
}

TEST(Lsn, RejectsMalformedText) {
  for (const char* bad : {"", "/", "0/", "/0", "0", "0/0/0", "G/0", "0/-1", "123456789/0", " 0/1",
                          "0/1 ", "0x1/2", "+1/2"}) {
    EXPECT_FALSE(Lsn::parse(bad).has_value()) << "accepted: '" << bad << "'";
  }
}

TEST(Lsn, OrdersByPosition) {
  EXPECT_LT(*Lsn::parse("0/FFFFFFFF"), *Lsn::parse("1/0"));
  EXPECT_GT(*Lsn::parse("2/10"), *Lsn::parse("2/F"));
  EXPECT_EQ(*Lsn::parse("A/1"), Lsn((std::uint64_t{10} << 32) | 1));
  EXPECT_FALSE(Lsn::invalid().is_valid());
  EXPECT_TRUE(Lsn(1).is_valid());
}

TEST(Lsn, ArithmeticCrossesTheHalfBoundaryAndSaturates) {
  EXPECT_EQ((*Lsn::parse("0/FFFFFFFF") + 1).to_string(), "1/0");
  EXPECT_EQ((*Lsn::parse("1/0") - 1).to_string(), "0/FFFFFFFF");
  EXPECT_EQ(Lsn(5) - 10, Lsn(0));
  EXPECT_EQ(Lsn::max() + 1, Lsn::max());
  EXPECT_EQ(Lsn(100).bytes_since(Lsn(40)), 60u);
  EXPECT_EQ(Lsn(40).bytes_since(Lsn(100)), 0u);
}

}  // namespace
}  // namespace dualwrite
