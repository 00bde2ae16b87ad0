// Clock: the monotonic time source of the progress and stream stages, injectable for tests.
//
// For: the keepalive/status policy, the replay window and the reconnect backoff, which all
// decide things by elapsed time and must be testable with a fake clock. Not for: wall-clock
// timestamps sent on the wire (those are system_clock values, see stream/framing.hpp).
// Thread-safety: SteadyClock is stateless and safe from any thread. FakeClock is safe to read
// from several threads while one test thread advances it.
#pragma once

#include <atomic>
#include <chrono>

namespace dualwrite::progress {

using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

// A clock that only moves when told to: for unit tests of time-driven policy.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint{} + std::chrono::hours(1)) : now_(start) {}
  TimePoint now() const override { return now_.load(); }
  void advance(Duration d) { now_.store(now_.load() + d); }

 private:
  std::atomic<TimePoint> now_;
};

}  // namespace dualwrite::progress
