#include "dualwrite/stream/backoff.hpp"

#include <algorithm>

namespace dualwrite::stream {

Backoff::Backoff(BackoffConfig config, std::uint64_t seed) : config_(config), rng_(seed) {
  config_.initial = std::max(config_.initial, std::chrono::milliseconds(1));
  config_.cap = std::max(config_.cap, config_.initial);
}

std::chrono::milliseconds Backoff::ceiling() const {
  auto c = config_.initial;
  for (std::uint32_t i = 0; i < attempts_ && c < config_.cap; ++i) c *= 2;
  return std::min(c, config_.cap);
}

std::chrono::milliseconds Backoff::next() {
  const auto c = ceiling();
  std::uniform_int_distribution<std::int64_t> dist(0, c.count());
  if (c < config_.cap) ++attempts_;
  return std::chrono::milliseconds(dist(rng_));
}

}  // namespace dualwrite::stream
