#include "dualwrite/core/pg_time.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace dualwrite {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

TEST(PgTime, TheOffsetIsThirtyYearsOfDays) {
  // 2000-01-01 minus 1970-01-01, counted by the calendar rather than written down again.
  const auto days = sys_days{std::chrono::year{2000} / 1 / 1}.time_since_epoch();
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(days).count(), kPgEpochUnixSeconds);
  EXPECT_EQ(kPgEpochUnixMicros, kPgEpochUnixSeconds * 1'000'000);
}

TEST(PgTime, ZeroIsTheStartOf2000) {
  EXPECT_EQ(from_pg_micros(0),
            std::chrono::system_clock::time_point(sys_days{std::chrono::year{2000} / 1 / 1}));
  EXPECT_EQ(to_pg_micros(sys_days{std::chrono::year{2000} / 1 / 1}), 0);
}

TEST(PgTime, BeforeTheEpochIsNegative) {
  EXPECT_EQ(to_pg_micros(std::chrono::system_clock::time_point{}), -kPgEpochUnixMicros);
  EXPECT_EQ(to_pg_micros(sys_days{std::chrono::year{1999} / 12 / 31}), -86'400'000'000);
}

TEST(PgTime, RoundTripsToTheMicrosecond) {
  const std::int64_t t = 848'000'000'123'456;  // late 2026
  EXPECT_EQ(to_pg_micros(from_pg_micros(t)), t);
  // Finer than a microsecond is truncated.
  EXPECT_EQ(to_pg_micros(from_pg_micros(t) + 999ns), t);
}

}  // namespace
}  // namespace dualwrite
