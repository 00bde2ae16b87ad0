// A task run now and then every interval on its own thread, until stopped: what the slot and
// verify pollers share.
//
// For: the loop, its wait (woken at once by stop()) and the thread's lifetime.
// Not for: what the task does, or its errors (the task handles and reports them).
// Thread-safety: start() and stop() from one owning thread; the task runs on the periodic one;
// stopping() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace dualwrite::ops {

class Periodic {
 public:
  Periodic() = default;
  ~Periodic() { stop(); }
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

  // Starts the thread (no-op when running): `tick` runs at once, then every `interval`.
  void start(std::chrono::milliseconds interval, std::function<void()> tick);
  // Wakes the thread, lets a running tick finish, and joins it.
  void stop();
  // Whether stop() was called: a tick that waits (on a database) asks this to end early.
  bool stopping() const { return stopping_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace dualwrite::ops
