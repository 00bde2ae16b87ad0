// The watchdog/progress policy with a fake clock: alive while the loop turns or while a target
// call waits under its deadline (or makes progress); a wait past the deadline, or a quiet one
// once a stop was requested, is ended; an ended wait that does not come back stops the watchdog.
#include "dualwrite/ops/liveness.hpp"

#include <gtest/gtest.h>

namespace dualwrite::ops {
namespace {

using namespace std::chrono_literals;
using T = LivenessClock::time_point;

LivenessLimits limits() {
  LivenessLimits l;
  l.loop_quiet = 10s;
  l.target_deadline = 60s;
  l.stop_grace = 3s;
  l.end_grace = 15s;
  l.log_after = 10s;
  l.log_every = 30s;
  return l;
}

const T t0 = T{} + 1h;

TEST(Liveness, AliveWhileTheLoopTurns) {
  LivenessPolicy p(limits());
  ApplyActivity a{.last_turn = t0, .call_since = std::nullopt, .activity = 0};
  EXPECT_TRUE(p.assess(t0 + 1s, a, false).alive);
  EXPECT_TRUE(p.assess(t0 + 10s, a, false).alive);
  const auto v = p.assess(t0 + 11s, a, false);
  EXPECT_FALSE(v.alive) << v.detail;
  EXPECT_FALSE(v.end_wait);
}

// A table locked for 50 s: the statement waits, quiet, under its deadline. The old policy
// (WATCHDOG=1 only when the loop turned) stopped feeding the watchdog after the first second.
TEST(Liveness, AKnowinglyWaitingCallIsAliveUntilItsDeadline) {
  LivenessPolicy p(limits());
  ApplyActivity a{.last_turn = t0, .call_since = t0, .activity = 7};
  for (auto s = 1s; s <= 60s; s += 1s) {
    const auto v = p.assess(t0 + s, a, false);
    ASSERT_TRUE(v.alive) << "at " << s.count() << " s: " << v.detail;
    ASSERT_FALSE(v.end_wait) << "at " << s.count() << " s";
    EXPECT_DOUBLE_EQ(v.waiting_seconds, static_cast<double>(s.count()));
  }
  // Past the deadline: the wait is ended (once), and it is still alive while it comes back.
  auto v = p.assess(t0 + 61s, a, false);
  EXPECT_TRUE(v.alive);
  EXPECT_TRUE(v.end_wait) << v.detail;
  v = p.assess(t0 + 62s, a, false);
  EXPECT_FALSE(v.end_wait);
  EXPECT_TRUE(v.alive);
  // It never comes back: after end_grace the process is not alive (systemd restarts it).
  EXPECT_TRUE(p.assess(t0 + 76s, a, false).alive);
  EXPECT_FALSE(p.assess(t0 + 77s, a, false).alive);
  // It came back (the call ended, the loop turns): alive again.
  EXPECT_TRUE(
      p.assess(t0 + 78s,
               ApplyActivity{.last_turn = t0 + 78s, .call_since = std::nullopt, .activity = 0},
               false)
          .alive);
}

// A long call that makes progress (a large transaction replayed from its spool) is never ended.
TEST(Liveness, ACallThatMakesProgressIsNeverEnded) {
  LivenessPolicy p(limits());
  ApplyActivity a{.last_turn = t0, .call_since = t0, .activity = 0};
  for (auto s = 1s; s <= 600s; s += 1s) {
    a.activity = static_cast<std::uint64_t>(s.count() / 30);  // moves every 30 s
    const auto v = p.assess(t0 + s, a, false);
    ASSERT_TRUE(v.alive) << s.count();
    ASSERT_FALSE(v.end_wait) << s.count();
  }
}

TEST(Liveness, AStopEndsAQuietWaitWithinSeconds) {
  LivenessPolicy p(limits());
  ApplyActivity a{.last_turn = t0, .call_since = t0, .activity = 0};
  EXPECT_FALSE(p.assess(t0 + 2s, a, true).end_wait);
  EXPECT_FALSE(p.assess(t0 + 3s, a, true).end_wait);
  const auto v = p.assess(t0 + 4s, a, true);
  EXPECT_TRUE(v.end_wait) << v.detail;
  EXPECT_NE(v.detail.find("stopping"), std::string::npos);
}

TEST(Liveness, LongWaitsAreLoggedAfterTenSecondsThenEveryThirty) {
  LivenessPolicy p(limits());
  ApplyActivity a{.last_turn = t0, .call_since = t0, .activity = 0};
  std::vector<int> logged;
  for (int s = 1; s <= 59; ++s) {
    if (p.assess(t0 + std::chrono::seconds(s), a, false).log_wait) logged.push_back(s);
  }
  EXPECT_EQ(logged, (std::vector<int>{10, 40}));
}

}  // namespace
}  // namespace dualwrite::ops
