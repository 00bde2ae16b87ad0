#include "dualwrite/stream/backoff.hpp"

#include <gtest/gtest.h>

namespace dualwrite::stream {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, CeilingDoublesUpToTheCap) {
  Backoff b({.initial = milliseconds(100), .cap = milliseconds(30'000)}, 1);
  const std::int64_t expected[] = {100,  200,   400,   800,   1600,  3200,
                                   6400, 12800, 25600, 30000, 30000, 30000};
  for (auto e : expected) {
    EXPECT_EQ(b.ceiling().count(), e);
    (void)b.next();
  }
  b.reset();
  EXPECT_EQ(b.ceiling(), milliseconds(100));
}

TEST(Backoff, DelaysAreJitteredWithinTheCeiling) {
  Backoff b({.initial = milliseconds(100), .cap = milliseconds(1'000)}, 42);
  for (int i = 0; i < 10; ++i) (void)b.next();  // at the cap now
  milliseconds lo{1'000'000}, hi{0};
  for (int i = 0; i < 2'000; ++i) {
    const auto d = b.next();
    ASSERT_GE(d.count(), 0);
    ASSERT_LE(d, milliseconds(1'000));
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  // Full jitter: the draws spread over the whole range, not around one value.
  EXPECT_LT(lo, milliseconds(100));
  EXPECT_GT(hi, milliseconds(900));
}

TEST(Backoff, SeedsGiveDifferentSchedules) {
  Backoff a({}, 1), b({}, 2);
  bool differ = false;
  for (int i = 0; i < 8; ++i) differ |= a.next() != b.next();
  EXPECT_TRUE(differ);
}

TEST(Backoff, DegenerateConfigIsClamped) {
  Backoff b({.initial = milliseconds(0), .cap = milliseconds(0)}, 3);
  EXPECT_EQ(b.ceiling(), milliseconds(1));
  EXPECT_LE(b.next(), milliseconds(1));
}

}  // namespace
}  // namespace dualwrite::stream
