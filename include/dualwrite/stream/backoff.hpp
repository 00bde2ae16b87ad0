// Backoff: the delay schedule of the reconnect loop: capped exponential with full jitter.
//
// For: spacing out reconnect attempts to a lost source (attempt n waits a uniformly random
// time in [0, min(cap, initial * 2^n)]), so that many daemons do not reconnect in lockstep.
// Not for: deciding whether to retry at all (a lost slot is fatal; see stream/replication.hpp).
// Thread-safety: not synchronised; one per reconnect loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace dualwrite::stream {

struct BackoffConfig {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds cap{30'000};
};

class Backoff {
 public:
  explicit Backoff(BackoffConfig config, std::uint64_t seed = std::random_device{}());

  // The ceiling of the next delay (without jitter): initial * 2^attempts, capped.
  std::chrono::milliseconds ceiling() const;
  // The next delay: uniform in [0, ceiling()]; then the ceiling doubles (up to the cap).
  std::chrono::milliseconds next();
  // After a session that worked: start again from `initial`.
  void reset() { attempts_ = 0; }
  std::uint32_t attempts() const { return attempts_; }

 private:
  BackoffConfig config_;
  std::uint32_t attempts_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace dualwrite::stream
