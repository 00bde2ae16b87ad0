// LagMonitor: how far the target is behind what the source has committed, in bytes and seconds,
// honest during any outage.
//
// For: the lag the daemon exports (dualwrite_replication_lag_bytes/_seconds), shows in /readyz
// and systemd's STATUS=, computed from facts that three different threads report, none of
// which can be stopped by a statement stuck on the target:
//   source position  pg_current_wal_lsn() on the source (the slot poller, every few seconds);
//   received         the commit LSN and time of every transaction the stream receives (a
//                    pgoutput Begin or Stream Commit), in commit order;
//   applied          the end LSN of the last source commit the target has committed;
//   caught up        the stream is connected and nothing it delivered is unfinished: everything
//                    up to the server's walEnd is handled (the slot advances past WAL that
//                    holds no legacy change).
// Then
//   bytes   = source position - max(applied, caught-up position)       (0 when unknown/ahead)
//   seconds = now - commit time of the oldest received transaction not yet applied, when there
//             is one; else 0 while streaming; else (not streaming: target down, source
//             unreachable, start-up) now - the last time it was known caught up, as soon as the
//             source has WAL past the handled position: nothing was received, so the oldest
//             unapplied commit is unknown, and this is its upper bound. It grows through any
//             outage, which is what the alerts need; it never goes back to 0 until the bridge
//             has caught up again.
// Memory: the received transactions not yet applied, at most kMaxPending (beyond that the newest
// ones are merged into the last, which keeps the oldest commit time: lag is never understated).
// Not for: what is confirmed to the server (progress.hpp), or exporting (ops/metrics.hpp).
// Thread-safety: every member function is safe from any thread (one mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

#include "dualwrite/core/lsn.hpp"

namespace dualwrite::progress {

using WallClock = std::chrono::system_clock;

struct LagValues {
  std::uint64_t bytes = 0;
  double seconds = 0;
  // Whether something is known to be waiting to be applied (lag seconds > 0 for a reason).
  bool pending = false;
};

class LagMonitor {
 public:
  static constexpr std::size_t kMaxPending = 100'000;

  // `now`: when the monitor starts counting (the process start): before the bridge has ever
  // been caught up, an outage counts from here.
  explicit LagMonitor(WallClock::time_point now);

  // Stream thread: a transaction that committed at `commit_time` with `commit_lsn` was received.
  void on_received(Lsn commit_lsn, WallClock::time_point commit_time);
  // Apply thread: the target has committed every source transaction ending at or before
  // `applied` (its replication origin).
  void on_applied(Lsn applied);
  // Any thread: the stream is connected and has nothing unfinished; everything up to
  // `wal_end` (the server's last reported WAL end) is handled.
  void on_caught_up(Lsn wal_end, WallClock::time_point now);
  // Slot poller: the source's pg_current_wal_lsn().
  void on_source_position(Lsn current);

  // `streaming`: the replication connection is streaming right now.
  LagValues lag(WallClock::time_point now, bool streaming) const;
  // The highest position known handled (applied, or passed over while caught up).
  Lsn handled() const;

 private:
  struct Received {
    Lsn commit_lsn;
    WallClock::time_point commit_time;
  };

  mutable std::mutex mu_;
  std::deque<Received> pending_;  // received, not yet applied; ascending commit_lsn
  Lsn applied_;
  Lsn caught_up_position_;
  WallClock::time_point caught_up_at_;
  Lsn source_position_;
};

}  // namespace dualwrite::progress
