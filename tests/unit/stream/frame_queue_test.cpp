#include "dualwrite/stream/frame_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace dualwrite::stream {
namespace {

Frame frame(std::uint64_t seq, std::size_t payload) {
  return Frame{.seq = seq,
               .data_start = Lsn{seq},
               .wal_end = Lsn{seq},
               .send_time = 0,
               .payload = std::vector<std::byte>(payload, std::byte{1})};
}

TEST(FrameQueue, RefusesWhenFullInBytesAndKeepsTheFrame) {
  FrameQueue q(1000);
  auto a = frame(1, 400);
  auto b = frame(2, 400);
  auto c = frame(3, 400);
  EXPECT_TRUE(q.try_push(a));
  EXPECT_TRUE(q.try_push(b));
  EXPECT_FALSE(q.try_push(c));
  EXPECT_EQ(c.payload.size(), 400u);  // not moved from on refusal
  EXPECT_EQ(q.bytes(), 2 * FrameQueue::cost(c));
  EXPECT_EQ(q.size(), 2u);
}

TEST(FrameQueue, OversizedFrameEntersAnEmptyQueue) {
  FrameQueue q(100);
  auto big = frame(1, 10'000);
  EXPECT_TRUE(q.try_push(big));
  auto small = frame(2, 1);
  EXPECT_FALSE(q.try_push(small));
}

TEST(FrameQueue, SpaceCallbackFiresOnceWhenHalfEmptyAfterRefusal) {
  FrameQueue q(1000);
  int woken = 0;
  q.set_space_callback([&] { ++woken; });
  for (std::uint64_t i = 1; i <= 4; ++i) {
    auto f = frame(i, 136);  // cost 200
    ASSERT_TRUE(q.try_push(f));
  }
  auto f5 = frame(5, 136);
  ASSERT_TRUE(q.try_push(f5));  // 1000 bytes now
  auto f6 = frame(6, 136);
  ASSERT_FALSE(q.try_push(f6));      // producer now waits
  ASSERT_TRUE(q.pop().has_value());  // 800: room, but above half
  EXPECT_EQ(woken, 0);
  ASSERT_TRUE(q.pop().has_value());  // 600
  EXPECT_EQ(woken, 0);
  ASSERT_TRUE(q.pop().has_value());  // 400: at most half
  EXPECT_EQ(woken, 1);
  ASSERT_TRUE(q.pop().has_value());
  EXPECT_EQ(woken, 1);  // once per refusal
}

TEST(FrameQueue, RestartDropsUnconsumedFramesAndWakesTheProducer) {
  FrameQueue q(1000);
  int woken = 0;
  q.set_space_callback([&] { ++woken; });
  auto a = frame(1, 900);
  auto b = frame(2, 900);
  ASSERT_TRUE(q.try_push(a));
  ASSERT_FALSE(q.try_push(b));
  q.restart(Restarted{.seq = 3, .session = 2, .from = Lsn{77}});
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(q.bytes(), 0u);
  auto ev = q.pop();
  ASSERT_TRUE(ev.has_value());
  const auto& r = std::get<Restarted>(*ev);
  EXPECT_EQ(r.seq, 3u);
  EXPECT_EQ(r.session, 2u);
  EXPECT_EQ(r.from, Lsn{77});
  EXPECT_FALSE(q.pop_for(std::chrono::milliseconds(1)).has_value());
}

TEST(FrameQueue, DeferredWakeReachesAWaitingConsumerOnlyOnWake) {
  FrameQueue q;
  std::atomic<bool> got{false};
  std::thread consumer([&] {
    auto ev = q.pop();
    got = ev.has_value();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // consumer is waiting
  auto a = frame(1, 10);
  ASSERT_TRUE(q.try_push(a, /*wake_consumer=*/false));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(got.load());  // not woken by the burst push
  q.wake();
  consumer.join();
  EXPECT_TRUE(got.load());
}

TEST(FrameQueue, CloseDrainsThenEnds) {
  FrameQueue q;
  auto a = frame(1, 10);
  ASSERT_TRUE(q.try_push(a));
  q.close();
  EXPECT_TRUE(q.closed());
  ASSERT_TRUE(q.pop().has_value());
  EXPECT_FALSE(q.pop().has_value());
}

TEST(FrameQueue, ProducerAndConsumerThreadsKeepOrderUnderBackpressure) {
  FrameQueue q(4096);
  std::atomic<int> wakeups{0};
  std::atomic<bool> space{false};
  q.set_space_callback([&] {
    ++wakeups;
    space = true;
    space.notify_one();
  });
  constexpr std::uint64_t kFrames = 20'000;
  std::thread producer([&] {
    for (std::uint64_t i = 1; i <= kFrames; ++i) {
      auto f = frame(i, i % 300);
      while (!q.try_push(f)) {
        space.wait(false);  // woken by the callback only: no spinning
        space = false;
      }
    }
    q.close();
  });
  std::uint64_t expect = 1;
  while (auto ev = q.pop()) {
    const auto& f = std::get<Frame>(*ev);
    ASSERT_EQ(f.seq, expect);
    ASSERT_EQ(f.payload.size(), expect % 300);
    ++expect;
    ASSERT_LE(q.bytes(), 4096u);
  }
  producer.join();
  EXPECT_EQ(expect, kFrames + 1);
  EXPECT_GT(wakeups.load(), 0);
}

}  // namespace
}  // namespace dualwrite::stream
