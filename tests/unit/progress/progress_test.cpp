#include "dualwrite/progress/progress.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace dualwrite::progress {
namespace {

using namespace std::chrono_literals;

TEST(Confirmable, WithOutstandingWorkIsTheDurablePosition) {
  const Positions p{
      .received = Lsn{500}, .server_wal_end = Lsn{900}, .durable = Lsn{300}, .outstanding = true};
  EXPECT_EQ(confirmable(p), Lsn{300});
}

TEST(Confirmable, IdleFollowsTheServerWalEnd) {
  const Positions p{
      .received = Lsn{500}, .server_wal_end = Lsn{900}, .durable = Lsn{500}, .outstanding = false};
  EXPECT_EQ(confirmable(p), Lsn{900});
}

TEST(Confirmable, IdleNeverGoesBelowDurable) {
  const Positions p{
      .received = Lsn{500}, .server_wal_end = Lsn{100}, .durable = Lsn{500}, .outstanding = false};
  EXPECT_EQ(confirmable(p), Lsn{500});
}

TEST(BuildStatus, KeepsWriteAndApplyAtOrAboveFlush) {
  const Positions p{
      .received = Lsn{400}, .server_wal_end = Lsn{900}, .durable = Lsn{300}, .outstanding = true};
  const auto v = build_status(p, Lsn{200});
  EXPECT_EQ(v.write, Lsn{400});
  EXPECT_EQ(v.flush, Lsn{200});
  EXPECT_EQ(v.apply, Lsn{300});
  const auto idle = build_status(p, Lsn{900});
  EXPECT_EQ(idle.write, Lsn{900});
  EXPECT_EQ(idle.apply, Lsn{900});
}

// Within a replay window confirmed lags, but an idle bridge has applied everything up to walEnd:
// apply says so (verify and decommission read it as pg_stat_replication.replay_lsn).
TEST(BuildStatus, ApplyFollowsWalEndWhenIdleEvenInsideTheReplayWindow) {
  const Positions idle{
      .received = Lsn{400}, .server_wal_end = Lsn{900}, .durable = Lsn{400}, .outstanding = false};
  const auto v = build_status(idle, Lsn{100});
  EXPECT_EQ(v.flush, Lsn{100});
  EXPECT_EQ(v.apply, Lsn{900});
  const Positions busy{
      .received = Lsn{400}, .server_wal_end = Lsn{900}, .durable = Lsn{300}, .outstanding = true};
  EXPECT_EQ(build_status(busy, Lsn{100}).apply, Lsn{300});
}

TEST(Lag, BytesSaturateAndSecondsAreZeroWhenCaughtUp) {
  EXPECT_EQ(lag_bytes(Lsn{1000}, Lsn{400}), 600u);
  EXPECT_EQ(lag_bytes(Lsn{400}, Lsn{1000}), 0u);
  const auto now = std::chrono::system_clock::now();
  EXPECT_DOUBLE_EQ(lag_seconds(now, now - 5s, false), 0.0);
  EXPECT_NEAR(lag_seconds(now, now - 5s, true), 5.0, 1e-6);
  EXPECT_DOUBLE_EQ(lag_seconds(now, std::nullopt, true), 0.0);
  EXPECT_DOUBLE_EQ(lag_seconds(now, now + 5s, true), 0.0);
}

TEST(StatusInterval, IsHalfTheSenderTimeoutAtMost) {
  EXPECT_EQ(status_interval(60s, 10s), 10s);
  EXPECT_EQ(status_interval(2s, 10s), 1s);
  EXPECT_EQ(status_interval(0s, 10s), 10s);
}

TEST(ProgressTracker, NeverConfirmsBeyondDurable) {
  FakeClock clock;
  ProgressTracker t(Lsn{100}, 0s, clock);
  t.on_delivered(1, Lsn{200}, Lsn{200});
  t.on_delivered(2, Lsn{300}, Lsn{300});
  t.on_server_wal_end(Lsn{10'000});
  auto v = t.status();
  EXPECT_EQ(v.flush, Lsn{100});
  EXPECT_EQ(v.write, Lsn{300});
  t.mark_durable(Lsn{250});  // durable, but event 2 is not finished
  t.mark_consumed(1);
  v = t.status();
  EXPECT_EQ(v.flush, Lsn{250});
}

TEST(ProgressTracker, IdleAdvancesToWalEndOnlyWhenEverythingIsConsumed) {
  FakeClock clock;
  ProgressTracker t(Lsn{100}, 0s, clock);
  t.on_server_wal_end(Lsn{5000});
  EXPECT_EQ(t.status().flush, Lsn{5000});  // nothing ever delivered: idle from the start
  t.on_delivered(1, Lsn{6000}, Lsn{6000});
  t.on_server_wal_end(Lsn{9000});
  EXPECT_EQ(t.status().flush, Lsn{5000});  // outstanding; confirmed does not go back either
  t.mark_durable(Lsn{6100});
  t.mark_consumed(1);
  EXPECT_EQ(t.status().flush, Lsn{9000});
}

TEST(ProgressTracker, BeginBelowPreviousCommitStillCountsAsOutstanding) {
  // T2 commits before T1, so T1's Begin carries an LSN below T2's end: LSN comparison alone
  // would call the consumer idle while T1 sits in the queue.
  FakeClock clock;
  ProgressTracker t(Lsn{100}, 0s, clock);
  t.on_delivered(1, Lsn{150}, Lsn{150});
  t.on_delivered(2, Lsn{210}, Lsn{210});
  t.mark_durable(Lsn{210});
  t.mark_consumed(2);
  t.on_delivered(3, Lsn{120}, Lsn{120});  // T1's Begin
  t.on_server_wal_end(Lsn{400});
  EXPECT_EQ(t.status().flush, Lsn{210});
}

TEST(ProgressTracker, SnapshotShowsTheSequencesAndCommitTime) {
  FakeClock clock;
  ProgressTracker t(Lsn{100}, 0s, clock);
  t.on_delivered(7, Lsn{200}, Lsn{200});
  t.mark_consumed(5);
  const auto when = std::chrono::system_clock::time_point{} + 1000s;
  t.note_applied_commit_time(when);
  const auto s = t.snapshot();
  EXPECT_EQ(s.delivered_seq, 7u);
  EXPECT_EQ(s.consumed_seq, 5u);
  EXPECT_TRUE(s.positions.outstanding);
  EXPECT_EQ(s.last_applied_commit, when);
  EXPECT_EQ(t.durable(), Lsn{100});
}

TEST(ReplayWindow, ZeroWindowPassesStraightThroughAndNeverGoesBack) {
  ReplayWindow w(0s, Lsn{10});
  const TimePoint t0{};
  EXPECT_EQ(w.admit(t0, Lsn{5}), Lsn{10});
  EXPECT_EQ(w.admit(t0, Lsn{50}), Lsn{50});
  EXPECT_EQ(w.admit(t0, Lsn{40}), Lsn{50});
}

TEST(ReplayWindow, HoldsPositionsBackByTheWindow) {
  FakeClock clock;
  ProgressTracker t(Lsn{100}, 60s, clock);
  t.on_delivered(1, Lsn{1000}, Lsn{1000});
  t.mark_durable(Lsn{1000});
  t.mark_consumed(1);
  EXPECT_EQ(t.status().flush, Lsn{100});
  clock.advance(30s);
  t.on_delivered(2, Lsn{2000}, Lsn{2000});
  t.mark_durable(Lsn{2000});
  t.mark_consumed(2);
  EXPECT_EQ(t.status().flush, Lsn{100});
  clock.advance(29s);
  EXPECT_EQ(t.status().flush, Lsn{100});  // 59 s after 1000 became durable
  clock.advance(2s);
  EXPECT_EQ(t.status().flush, Lsn{1000});  // 61 s after
  clock.advance(30s);
  EXPECT_EQ(t.status().flush, Lsn{2000});
}

TEST(ReplayWindow, ARestartKeepsWhatTheSlotHeld) {
  // The origin is at 1000, the slot (held back by the window before the restart) at 100: the
  // restarted tracker must not release 100..1000 by confirming the origin at once.
  FakeClock clock;
  ProgressTracker t(Lsn{1000}, 60s, clock, Lsn{100});
  EXPECT_EQ(t.durable(), Lsn{1000});
  EXPECT_EQ(t.status().flush, Lsn{100});
  t.on_delivered(1, Lsn{2000}, Lsn{2000});
  t.mark_durable(Lsn{2000});
  t.mark_consumed(1);
  EXPECT_EQ(t.status().flush, Lsn{100});
  clock.advance(61s);
  EXPECT_EQ(t.status().flush, Lsn{2000});
  // Without a window nothing is held; a slot ahead of the start changes nothing.
  ProgressTracker none(Lsn{1000}, 0s, clock, Lsn{100});
  EXPECT_EQ(none.status().flush, Lsn{1000});
  ProgressTracker ahead(Lsn{1000}, 60s, clock, Lsn{1500});
  EXPECT_EQ(ahead.status().flush, Lsn{1000});
}

TEST(ReplayWindow, NeverAdmitsEarlyNorMoreThanABucketLate) {
  ReplayWindow w(10s, Lsn{0});
  TimePoint now{};
  std::uint64_t lsn = 0;
  // An offer every millisecond for 30 s: each admitted value must be at least 10 s old.
  std::deque<std::pair<TimePoint, std::uint64_t>> offered;
  for (int i = 0; i < 30'000; ++i) {
    now += 1ms;
    lsn += 8;
    offered.emplace_back(now, lsn);
    const Lsn admitted = w.admit(now, Lsn{lsn});
    while (offered.size() > 1 && offered.front().second < admitted.value()) offered.pop_front();
    if (admitted.value() > 0) {
      ASSERT_EQ(offered.front().second, admitted.value());
      ASSERT_GE(now - offered.front().first, 10s);
      ASSERT_LE(now - offered.front().first, 10s + 40ms);  // one bucket late at most
    }
  }
  EXPECT_GT(w.admit(now, Lsn{lsn}).value(), 0u);
}

TEST(StatusPolicy, DueOnFirstCallReplyRequestIntervalOrProgress) {
  FakeClock clock;
  StatusPolicy policy({.interval = 10s, .progress_bytes = 1000, .progress_gap = 10s}, clock);
  StatusValues v{Lsn{100}, Lsn{100}, Lsn{100}};
  EXPECT_TRUE(policy.due(v, false));
  EXPECT_EQ(policy.next_deadline(), clock.now());
  policy.sent(v);
  EXPECT_EQ(policy.next_deadline(), clock.now() + 10s);
  EXPECT_FALSE(policy.due(v, false));
  EXPECT_TRUE(policy.due(v, true));
  clock.advance(9999ms);
  EXPECT_FALSE(policy.due(v, false));
  v.flush = Lsn{1100};  // moved by exactly the threshold: not yet
  EXPECT_FALSE(policy.due(v, false));
  v.flush = Lsn{1101};
  EXPECT_TRUE(policy.due(v, false));
  v.flush = Lsn{100};
  clock.advance(1ms);
  EXPECT_TRUE(policy.due(v, false));
  policy.sent(v);
  EXPECT_FALSE(policy.due(v, false));
  policy.set_interval(1s);
  clock.advance(1s);
  EXPECT_TRUE(policy.due(v, false));
}

TEST(StatusPolicy, AnyProgressIsSentOnceTheGapHasPassed) {
  FakeClock clock;
  StatusPolicy policy({.interval = 10s, .progress_bytes = 1 << 20, .progress_gap = 1s}, clock);
  StatusValues v{Lsn{100}, Lsn{100}, Lsn{100}};
  policy.sent(v);
  v.flush = Lsn{101};  // one small commit
  clock.advance(999ms);
  EXPECT_FALSE(policy.due(v, false));
  clock.advance(1ms);
  EXPECT_TRUE(policy.due(v, false));
  policy.sent(v);
  clock.advance(5s);  // idle: nothing moved, nothing to say before the interval
  EXPECT_FALSE(policy.due(v, false));
  v.write = Lsn{200};  // received, not yet flushed: not progress the server can act on
  EXPECT_FALSE(policy.due(v, false));
}

}  // namespace
}  // namespace dualwrite::progress
