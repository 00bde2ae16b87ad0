// Giving back the memory a large change leaves in libpq's connection buffers.
//
// For: deciding when `dualwrite run` recycles its connections after a large value. libpq grows
// each connection's input and output buffers to the largest message it has handled and never
// shrinks them: a change of N bytes arrives as one CopyData message on the replication
// connection and leaves as one statement on the target connection, so after a 50 MB value both
// keep about 64 MB each for the life of the connection (measured: resident memory 113 MiB once
// idle instead of 12). Closing a connection is the only way to free them. When a change above
// the bound has passed and the pipeline is idle (no source transaction open, nothing queued,
// the batch committed), the daemon restarts its session through the ordinary restart path:
// the target connection is rebuilt and the stream resumes at the target's origin, so nothing is
// lost or applied twice. At most once per interval, so that a run of large values costs one
// reconnect, not one each (the walsender re-reads WAL from the slot's restart_lsn each time).
// Our own copies (the frame, the translated parameters, a dead letter's JSON) are freed with the
// change; what the allocator keeps of them, and of the closed connections, is trimmed after the
// release (return_freed_memory).
// Not for: bounding peak memory (README, "Memory": a value of N bytes needs about 4.5 N at peak).
// Thread-safety: one thread (the apply thread).
#pragma once

#include <chrono>
#include <cstddef>
#include <utility>

namespace dualwrite::daemon {

class BufferRelease {
 public:
  using Clock = std::chrono::steady_clock;
  // A change larger than this leaves libpq buffers worth releasing: up to it, they hold at most
  // twice 16 MiB, which a batch of small changes reaches anyway ([apply] max_statement_bytes is
  // 8 MiB by default).
  static constexpr std::size_t kDefaultBound = std::size_t{8} << 20;
  static constexpr Clock::duration kDefaultInterval = std::chrono::minutes(1);

  explicit BufferRelease(std::size_t bound = kDefaultBound,
                         Clock::duration min_interval = kDefaultInterval)
      : bound_(bound), min_interval_(min_interval) {}

  // Each pgoutput message received in the current session (its size ~ the largest buffer it
  // made libpq grow to, on either connection).
  void note_message(std::size_t bytes) {
    if (bytes > largest_) largest_ = bytes;
  }
  // Whether to recycle the connections now: a message above the bound passed, the pipeline is
  // `idle`, and the last release is at least the interval ago.
  bool due(bool idle, Clock::time_point now) const {
    return idle && largest_ > bound_ && (!released_once_ || now - last_ >= min_interval_);
  }
  // The connections are being recycled for the memory: due() waits the interval from now.
  void released(Clock::time_point now) {
    largest_ = 0;
    last_ = now;
    released_once_ = true;
    trim_pending_ = true;
  }
  // Both connections are new (the daemon's session restarted, for whatever reason): nothing
  // held. (A reconnect of the replication connection alone leaves the target's buffer.) True
  // when that follows released(): the caller then returns the freed memory to the system.
  bool connections_renewed() {
    largest_ = 0;
    return std::exchange(trim_pending_, false);
  }
  std::size_t largest() const { return largest_; }

 private:
  std::size_t bound_;
  Clock::duration min_interval_;
  std::size_t largest_ = 0;
  Clock::time_point last_{};
  bool released_once_ = false;
  bool trim_pending_ = false;
};

// Returns to the system the memory the allocator holds free (glibc's malloc_trim): buffers of a
// few MiB come from the heap, whose free pages glibc keeps after free() (measured: 15 MiB
// resident after a 10 MB value without it). Freed large buffers (mmap) go back by themselves.
void return_freed_memory();

}  // namespace dualwrite::daemon
