#include "dualwrite/stream/frame_queue.hpp"

#include <utility>

namespace dualwrite::stream {

FrameQueue::FrameQueue(std::size_t capacity_bytes) : capacity_(capacity_bytes) {}

bool FrameQueue::try_push(Frame& frame, bool wake_consumer) {
  const std::size_t c = cost(frame);
  {
    std::lock_guard lock(mu_);
    if (!events_.empty() && bytes_ + c > capacity_) {
      waiting_for_ = c;
      return false;
    }
    waiting_for_ = 0;
    bytes_ += c;
    events_.push_back(Item{.is_restart = false, .frame = std::move(frame), .restarted = {}});
    unannounced_ = !wake_consumer;
  }
  if (wake_consumer) cv_.notify_one();
  return true;
}

void FrameQueue::wake() {
  {
    std::lock_guard lock(mu_);
    if (!unannounced_) return;
    unannounced_ = false;
  }
  cv_.notify_one();
}

void FrameQueue::restart(const Restarted& r) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    events_.clear();
    bytes_ = 0;
    events_.push_back(Item{.is_restart = true, .frame = {}, .restarted = r});
    if (waiting_for_ != 0) {
      waiting_for_ = 0;
      wake = on_space_;
    }
  }
  cv_.notify_one();
  if (wake) wake();
}

void FrameQueue::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

void FrameQueue::set_space_callback(std::function<void()> callback) {
  std::lock_guard lock(mu_);
  on_space_ = std::move(callback);
}

std::optional<StreamEvent> FrameQueue::take_locked(std::unique_lock<std::mutex>& lock) {
  if (events_.empty()) return std::nullopt;
  Item& item = events_.front();
  std::optional<StreamEvent> ev;
  if (item.is_restart) {
    ev.emplace(std::in_place_type<Restarted>, item.restarted);
  } else {
    bytes_ -= cost(item.frame);
    ev.emplace(std::in_place_type<Frame>, std::move(item.frame));
  }
  events_.pop_front();
  std::function<void()> wake;
  if (waiting_for_ != 0 &&
      (events_.empty() || (bytes_ + waiting_for_ <= capacity_ && bytes_ <= capacity_ / 2))) {
    waiting_for_ = 0;
    wake = on_space_;
  }
  lock.unlock();
  if (wake) wake();
  return ev;
}

std::optional<StreamEvent> FrameQueue::pop() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !events_.empty() || closed_; });
  return take_locked(lock);
}

std::optional<StreamEvent> FrameQueue::pop_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !events_.empty() || closed_; });
  return take_locked(lock);
}

std::size_t FrameQueue::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::size_t FrameQueue::size() const {
  std::lock_guard lock(mu_);
  return events_.size();
}

bool FrameQueue::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

}  // namespace dualwrite::stream
