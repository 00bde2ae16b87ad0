#include "dualwrite/ops/periodic.hpp"

namespace dualwrite::ops {

void Periodic::start(std::chrono::milliseconds interval, std::function<void()> tick) {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this, interval, tick = std::move(tick)] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      tick();
      lock.lock();
      cv_.wait_for(lock, interval, [this] { return stopping_.load(); });
    }
  });
}

void Periodic::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace dualwrite::ops
