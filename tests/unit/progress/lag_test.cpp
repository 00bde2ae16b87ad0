// LagMonitor: lag from what the source committed versus what the target applied, growing
// through any outage (the old lag, from the last applied commit and the server's walEnd, froze).
#include "dualwrite/progress/lag.hpp"

#include <gtest/gtest.h>

namespace dualwrite::progress {
namespace {

using namespace std::chrono_literals;
const WallClock::time_point t0 = WallClock::time_point{} + 1000h;

TEST(LagMonitor, OldestUnappliedCommitDrivesSeconds) {
  LagMonitor m(t0);
  m.on_applied(Lsn(100));
  m.on_source_position(Lsn(1000));
  m.on_received(Lsn(200), t0 + 1s);
  m.on_received(Lsn(300), t0 + 2s);
  auto v = m.lag(t0 + 11s, true);
  EXPECT_DOUBLE_EQ(v.seconds, 10);
  EXPECT_TRUE(v.pending);
  EXPECT_EQ(v.bytes, 900u);
  // A stuck apply: the same transaction stays oldest and the lag grows every second.
  EXPECT_DOUBLE_EQ(m.lag(t0 + 51s, true).seconds, 50);
  // The first is applied (end LSN past its commit LSN): the second is the oldest.
  m.on_applied(Lsn(210));
  EXPECT_DOUBLE_EQ(m.lag(t0 + 51s, true).seconds, 49);
  m.on_applied(Lsn(310));
  v = m.lag(t0 + 51s, true);
  EXPECT_DOUBLE_EQ(v.seconds, 0);
  EXPECT_FALSE(v.pending);
  EXPECT_EQ(v.bytes, 690u);
}

TEST(LagMonitor, ReceivedAgainAfterARestartIsNotCountedTwice) {
  LagMonitor m(t0);
  m.on_received(Lsn(200), t0 + 1s);
  m.on_received(Lsn(200), t0 + 5s);  // re-sent from the origin after a reconnect
  m.on_applied(Lsn(100));
  m.on_received(Lsn(50), t0);  // before the origin: skipped, never pending
  EXPECT_DOUBLE_EQ(m.lag(t0 + 11s, true).seconds, 10);
}

// The target is down: the stream stops, nothing is received, and the source goes on writing.
TEST(LagMonitor, GrowsWhileNotStreamingOnceTheSourceMovedOn) {
  LagMonitor m(t0);
  m.on_caught_up(Lsn(500), t0 + 10s);
  m.on_source_position(Lsn(500));
  EXPECT_DOUBLE_EQ(m.lag(t0 + 20s, false).seconds, 0);  // nothing written since: no lag
  m.on_source_position(Lsn(800));
  auto v = m.lag(t0 + 20s, false);
  EXPECT_DOUBLE_EQ(v.seconds, 10);
  EXPECT_EQ(v.bytes, 300u);
  EXPECT_DOUBLE_EQ(m.lag(t0 + 70s, false).seconds, 60);
  // Streaming again and caught up: back to 0.
  m.on_caught_up(Lsn(800), t0 + 71s);
  v = m.lag(t0 + 72s, true);
  EXPECT_DOUBLE_EQ(v.seconds, 0);
  EXPECT_EQ(v.bytes, 0u);
}

TEST(LagMonitor, BoundedMemoryKeepsTheOldestCommitTime) {
  LagMonitor m(t0);
  for (std::uint64_t i = 1; i <= LagMonitor::kMaxPending + 10; ++i) {
    m.on_received(Lsn(i * 10), t0 + std::chrono::seconds(i));
  }
  EXPECT_DOUBLE_EQ(m.lag(t0 + 1001s, true).seconds, 1000);
  m.on_applied(Lsn((LagMonitor::kMaxPending + 10) * 10 + 1));
  EXPECT_FALSE(m.lag(t0 + 1001s, true).pending);
}

}  // namespace
}  // namespace dualwrite::progress
