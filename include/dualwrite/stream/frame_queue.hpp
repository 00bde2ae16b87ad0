// FrameQueue: the hand-over from the stream thread to the consumer thread, bounded in bytes.
//
// For: carrying XLogData frames (with their payload, copied out of libpq) and session restarts
// to the consumer in order, while bounding memory whatever the size of a transaction. When the
// queue is full the producer's try_push fails and the producer stops reading the socket, which
// is the backpressure: the server's send buffer fills and the walsender waits. When the
// consumer frees enough space it calls the space callback once, which the stream driver uses
// to wake its reader through the io_context (no polling).
// Not for: decoding (the payload is opaque here) or progress (see progress/).
//
// Event order and restarts: each event carries a sequence number, increasing across sessions.
// restart() drops every frame not yet popped and enqueues a Restarted event, so a consumer
// sees all frames of the old session that it popped, then Restarted, then only new frames.
// On Restarted it must drop any partial transaction; the new session starts at `from`, and
// may repeat transactions at or below what is durable (skip those by commit LSN).
//
// Thread-safety: one producer and one consumer thread; all members are thread-safe. The space
// callback runs on the consumer thread, outside the lock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include "dualwrite/core/lsn.hpp"
#include "dualwrite/stream/framing.hpp"

namespace dualwrite::stream {

struct Frame {
  std::uint64_t seq = 0;
  Lsn data_start;
  Lsn wal_end;
  PgTimestamp send_time = 0;
  std::vector<std::byte> payload;  // one pgoutput message
};

struct Restarted {
  std::uint64_t seq = 0;
  std::uint64_t session = 0;  // 1 for the first session, +1 per reconnect
  Lsn from;                   // the position START_REPLICATION asked for
};

using StreamEvent = std::variant<Frame, Restarted>;

inline constexpr std::size_t kDefaultQueueBytes = std::size_t{64} << 20;

class FrameQueue {
 public:
  explicit FrameQueue(std::size_t capacity_bytes = kDefaultQueueBytes);

  // Producer. Takes the frame (moves from it) only when it fits; a frame larger than the whole
  // capacity is accepted into an empty queue, so that no frame can block forever. On refusal
  // the queue remembers that the producer waits and calls the space callback once there is
  // room for the refused frame and the queue is at most half full.
  // With `wake_consumer` false the consumer is not woken yet: a producer that pushes a burst
  // of frames calls wake() once after it, so the consumer takes the burst in one wake-up
  // instead of one context switch per frame.
  bool try_push(Frame& frame, bool wake_consumer = true);
  // Producer: wakes the consumer for frames pushed without waking it.
  void wake();
  // Producer: drops the frames not yet popped and enqueues `r` (which always fits).
  void restart(const Restarted& r);
  // Producer: no more events; pop() returns what is left, then nullopt.
  void close();
  void set_space_callback(std::function<void()> callback);

  // Consumer: blocks until an event is available or the queue is closed and empty.
  std::optional<StreamEvent> pop();
  // Consumer: as pop(), but gives up after `timeout` (nullopt; check closed()).
  std::optional<StreamEvent> pop_for(std::chrono::milliseconds timeout);

  std::size_t bytes() const;
  std::size_t size() const;
  bool closed() const;
  std::size_t capacity() const { return capacity_; }
  // Charge of one frame against the capacity: payload plus a fixed overhead.
  static std::size_t cost(const Frame& f) { return f.payload.size() + 64; }

 private:
  std::optional<StreamEvent> take_locked(std::unique_lock<std::mutex>& lock);

  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  struct Item {  // a variant-free slot: GCC 12 misreports moves of variant<vector, ...>
    bool is_restart = false;
    Frame frame;
    Restarted restarted;
  };
  std::deque<Item> events_;
  std::size_t bytes_ = 0;
  bool closed_ = false;
  bool unannounced_ = false;     // frames pushed without waking the consumer
  std::size_t waiting_for_ = 0;  // cost of the refused frame; 0 when the producer is not waiting
  std::function<void()> on_space_;
};

}  // namespace dualwrite::stream
