// The supervisor's tick with a fake clock: lag and the stall ("no progress while work is
// pending") from what the apply thread and the stream report, and liveness while a target call
// waits. No thread, no database: tick() is called with explicit times.
#include "dualwrite/daemon/supervisor.hpp"

#include <gtest/gtest.h>

namespace dualwrite::daemon {
namespace {

using namespace std::chrono_literals;
using Steady = ops::LivenessClock;

class SupervisorTick : public ::testing::Test {
 protected:
  SupervisorTick() : lag_(wall0_), supervisor_(config(), {}, stats_, lag_, probe_, stop_) {}
  static SupervisorConfig config() {
    SupervisorConfig c;
    c.limits.target_deadline = 60s;
    return c;
  }
  Supervisor::Findings at(std::chrono::seconds s) {
    supervisor_.tick(t0_ + s, wall0_ + s);
    return supervisor_.last();
  }

  const Steady::time_point t0_ = Steady::time_point{} + 1h;
  const progress::WallClock::time_point wall0_ = progress::WallClock::time_point{} + 1000h;
  apply::ApplyStats stats_;
  progress::LagMonitor lag_;
  ApplyProbe probe_;
  std::atomic<bool> stop_{false};
  Supervisor supervisor_;
};

// The same change fails again and again (each attempt re-applies the transaction from the
// origin): no progress, however many changes each attempt feeds. The old daemon reported lag
// from the last applied commit and kept /readyz green.
TEST_F(SupervisorTick, RetryingTheSameFailingChangeIsNoProgress) {
  lag_.on_applied(Lsn(100));
  lag_.on_received(Lsn(200), wall0_);
  lag_.on_source_position(Lsn(900));
  probe_.turned(t0_);
  EXPECT_DOUBLE_EQ(at(0s).stalled_seconds, 0);
  for (int attempt = 0; attempt < 5; ++attempt) {
    probe_.new_attempt(stats_.changes[0][0].load());
    stats_.changes[0][0] += 3;  // the attempt gets as far as the failing change, no further
    probe_.turned(t0_ + std::chrono::seconds(10 * (attempt + 1)));
    const auto f = at(std::chrono::seconds(10 * (attempt + 1)));
    if (attempt > 0) {
      EXPECT_DOUBLE_EQ(f.stalled_seconds, 10.0 * (attempt + 1) - 10) << attempt;
    }
  }
  const auto f = at(50s);
  EXPECT_DOUBLE_EQ(f.lag.seconds, 50);
  EXPECT_TRUE(f.liveness.alive);  // failing and retrying is alive, just not progressing
  // The change is finally dead-lettered and the transaction committed: progress.
  lag_.on_applied(Lsn(300));
  EXPECT_DOUBLE_EQ(at(51s).stalled_seconds, 0);
}

// One large transaction being applied: nothing committed for minutes, but the attempt gets
// further all the time: progress.
TEST_F(SupervisorTick, ALargeTransactionMovingForwardIsProgress) {
  lag_.on_received(Lsn(200), wall0_);
  probe_.new_attempt(0);
  for (int s = 1; s <= 300; ++s) {
    stats_.changes[0][0] += 1000;
    probe_.turned(t0_ + std::chrono::seconds(s));
    ASSERT_LE(at(std::chrono::seconds(s)).stalled_seconds, 1.0) << s;
  }
}

// A statement is stuck (the apply thread does not come back): the supervisor's lag keeps growing
// every second, which the apply thread's own tick could not do.
TEST_F(SupervisorTick, LagGrowsEveryTickWhileTheApplyThreadIsStuck) {
  lag_.on_applied(Lsn(100));
  lag_.on_received(Lsn(200), wall0_);
  probe_.set_target(-1, true);
  double before = -1;
  for (int s = 0; s <= 30; s += 5) {
    const auto f = at(std::chrono::seconds(s));
    EXPECT_DOUBLE_EQ(f.lag.seconds, s);
    EXPECT_GT(f.lag.seconds, before);
    before = f.lag.seconds;
  }
}

}  // namespace
}  // namespace dualwrite::daemon
