#include "dualwrite/daemon/buffer_release.hpp"

#include <gtest/gtest.h>

namespace dualwrite::daemon {
namespace {

using namespace std::chrono_literals;
constexpr std::size_t kMiB = std::size_t{1} << 20;

TEST(BufferRelease, OnlyAfterAChangeAboveTheBoundAndOnlyWhenIdle) {
  BufferRelease r(16 * kMiB, 1min);
  const auto t0 = BufferRelease::Clock::time_point{} + 1h;
  r.note_message(300);
  r.note_message(8 * kMiB);
  EXPECT_FALSE(r.due(true, t0)) << "ordinary changes keep their connections";
  r.note_message(50 * kMiB);
  r.note_message(100);
  EXPECT_EQ(r.largest(), 50 * kMiB);
  EXPECT_FALSE(r.due(false, t0)) << "not while a transaction is open or changes are queued";
  EXPECT_TRUE(r.due(true, t0));
  r.released(t0);
  EXPECT_FALSE(r.due(true, t0 + 1s)) << "released: nothing held";
  EXPECT_TRUE(r.connections_renewed())
      << "the freed memory is trimmed once the connections are new";
  EXPECT_FALSE(r.connections_renewed());
}

TEST(BufferRelease, AtMostOncePerInterval) {
  BufferRelease r(16 * kMiB, 1min);
  const auto t0 = BufferRelease::Clock::time_point{} + 1h;
  r.note_message(20 * kMiB);
  ASSERT_TRUE(r.due(true, t0));
  r.released(t0);
  r.note_message(20 * kMiB);
  EXPECT_FALSE(r.due(true, t0 + 30s));
  EXPECT_TRUE(r.due(true, t0 + 60s)) << "still held: released at the first idle moment after";
}

TEST(BufferRelease, NewConnectionsHoldNothing) {
  BufferRelease r(16 * kMiB, 1min);
  r.note_message(20 * kMiB);
  EXPECT_FALSE(r.connections_renewed()) << "a restart for another reason trims nothing";
  EXPECT_FALSE(r.due(true, BufferRelease::Clock::time_point{} + 1h));
}

}  // namespace
}  // namespace dualwrite::daemon
