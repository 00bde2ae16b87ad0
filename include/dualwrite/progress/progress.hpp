// Progress: which WAL position we may confirm to the source as flushed, and when to say so.
//
// For: keeping three positions apart, as PostgreSQL's apply worker does (worker.c,
// get_flush_position / send_feedback):
//   received   what the stream stage has read off the socket and handed to the consumer;
//   durable    what the consumer says the target has committed (its replication origin);
//   confirmed  what we have told the server as "flush", which lets it recycle WAL.
// The invariant: confirmed never passes durable, except when the consumer has no outstanding
// work at all; then nothing lies between durable and the server's walEnd that we still need,
// and confirmed may follow walEnd so that an idle database's slot still advances. An optional
// replay window keeps confirmed at the value it would have had N seconds ago, so that the last
// N seconds of changes stay in the slot for `dualwrite replay`.
// Not for: talking to the server (stream/), or storing the durable position (apply/ keeps it
// in a replication origin on the target, in the same transaction as the data).
//
// Thread-safety: the free functions, StatusValues, Positions, ReplayWindow and StatusPolicy are
// plain values, not synchronised. ProgressTracker is thread-safe: the stream thread records
// what it received, the consumer thread what is durable, any thread may read a snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "dualwrite/core/lsn.hpp"
#include "dualwrite/progress/clock.hpp"

namespace dualwrite::progress {

// What the tracker knows, as one consistent value.
struct Positions {
  Lsn received;              // highest dataStart handed to the consumer
  Lsn server_wal_end;        // highest walEnd the server reported (keepalive or XLogData)
  Lsn durable;               // highest position the consumer said the target committed
  bool outstanding = false;  // events handed over that the consumer has not finished
};

// The three positions of a standby status update ('r' message).
struct StatusValues {
  Lsn write;
  Lsn flush;
  Lsn apply;
  friend bool operator==(const StatusValues&, const StatusValues&) = default;
};

// Pure: the highest position that may be confirmed now, before the replay window. With work
// outstanding that is the durable position; with none, the server's walEnd when it is ahead.
Lsn confirmable(const Positions& p);

// Pure: the values of a status update, given the position we decided to confirm. write is what
// we received (never below flush), apply is everything applied: confirmable() (the durable
// position, or walEnd when nothing is outstanding), never below flush.
StatusValues build_status(const Positions& p, Lsn confirmed);

// Pure: replication lag in bytes, the server's walEnd minus what we confirmed; 0 when the pair
// is stale (confirmed ahead).
inline std::uint64_t lag_bytes(Lsn server_wal_end, Lsn confirmed) {
  return server_wal_end.bytes_since(confirmed);
}

// Pure: lag in seconds: 0 when caught up, else the age of the last applied commit.
double lag_seconds(std::chrono::system_clock::time_point now,
                   std::optional<std::chrono::system_clock::time_point> last_applied_commit,
                   bool outstanding);

// The status update interval: at most half of wal_sender_timeout (the walsender kills a
// standby that has not replied within it), at most `configured`. A timeout of 0 means disabled.
Duration status_interval(Duration wal_sender_timeout, Duration configured);

// Keeps a confirmable position back by a fixed time: admit(now, candidate) returns the highest
// candidate that was offered at least `window` ago (or `floor`, the start position, before
// that). A window of 0 passes candidates straight through. History is coalesced into at most
// ~512 buckets per window, so memory stays bounded however often it is called.
class ReplayWindow {
 public:
  ReplayWindow(Duration window, Lsn floor);
  Lsn admit(TimePoint now, Lsn candidate);
  Duration window() const { return window_; }

 private:
  struct Entry {
    TimePoint at;  // end of the bucket the offer fell into
    Lsn lsn;
  };
  Duration window_;
  Duration granularity_;
  Lsn admitted_;
  std::deque<Entry> history_;  // ascending in both time and lsn
};

struct StatusPolicyConfig {
  Duration interval = std::chrono::seconds(10);  // send at least this often
  std::uint64_t progress_bytes = 1 << 20;        // send early when flush moved by more
  // Send when flush moved at all and this long passed since the last update. PostgreSQL's
  // apply worker reports every move; without this a small commit would be confirmed (and shown
  // in pg_stat_replication, and its WAL released) only `interval` later.
  Duration progress_gap = std::chrono::seconds(1);
};

// When a status update is due: the server asked for a reply, `interval` elapsed since the last
// one, flush moved by more than `progress_bytes`, flush moved and `progress_gap` elapsed, or
// none was sent yet. Reads time from the injected clock only.
class StatusPolicy {
 public:
  StatusPolicy(StatusPolicyConfig config, const Clock& clock) : config_(config), clock_(&clock) {}

  bool due(const StatusValues& values, bool reply_requested) const;
  void sent(const StatusValues& values);
  // When the next update is due by time alone (now, when none was sent yet).
  TimePoint next_deadline() const;
  const StatusPolicyConfig& config() const { return config_; }
  void set_interval(Duration interval) { config_.interval = interval; }

 private:
  StatusPolicyConfig config_;
  const Clock* clock_;
  std::optional<TimePoint> last_sent_at_;
  StatusValues last_sent_;
};

// The shared, thread-safe record of progress. Events handed to the consumer carry a sequence
// number (stream/); the consumer reports which of them it has finished, so "no outstanding
// work" is exact even when a transaction's Begin carries an LSN below the previous commit.
class ProgressTracker {
 public:
  // `start`: the position streaming starts from (the target's origin, or the slot's
  // consistent point); durable begins there. `slot_confirmed`: what the slot has confirmed
  // already (invalid: unknown). Confirmed begins at the lower of the two: with a replay window,
  // the history the slot kept before a restart stays in it (the window's memory of when each
  // position became durable died with the old process, so it holds the slot's position until
  // positions durable after the restart age past the window) instead of being released at
  // once by confirming `start`.
  ProgressTracker(Lsn start, Duration replay_window, const Clock& clock,
                  Lsn slot_confirmed = Lsn::invalid());

  // Stream thread: an event with sequence number `seq` was handed to the consumer; for XLogData
  // `data_start`/`wal_end` are its header fields (Lsn::invalid() for non-data events).
  void on_delivered(std::uint64_t seq, Lsn data_start, Lsn wal_end);
  // Stream thread: a keepalive reported the server's walEnd.
  void on_server_wal_end(Lsn wal_end);

  // Consumer thread: the target durably committed everything up to `lsn` (e.g. a commit's
  // end_lsn, stored in the replication origin in the same transaction).
  void mark_durable(Lsn lsn);
  // Consumer thread: every event up to and including `seq` is finished (applied durably or in
  // need of nothing). Call after mark_durable for the commit that finished them.
  void mark_consumed(std::uint64_t seq);
  // Consumer thread: the commit time of the last transaction applied (for lag in seconds).
  void note_applied_commit_time(std::chrono::system_clock::time_point commit_time);

  // Decides what to confirm now (monotonic: never goes back) and returns the status values.
  StatusValues status();

  struct Snapshot {
    Positions positions;
    Lsn confirmed;
    std::uint64_t delivered_seq = 0;
    std::uint64_t consumed_seq = 0;
    std::optional<std::chrono::system_clock::time_point> last_applied_commit;
  };
  Snapshot snapshot() const;
  Lsn durable() const;

 private:
  Positions positions_locked() const;

  mutable std::mutex mu_;
  const Clock* clock_;
  ReplayWindow window_;
  Lsn received_;
  Lsn server_wal_end_;
  Lsn durable_;
  Lsn confirmed_;
  std::uint64_t delivered_seq_ = 0;
  std::uint64_t consumed_seq_ = 0;
  std::optional<std::chrono::system_clock::time_point> last_applied_commit_;
};

}  // namespace dualwrite::progress
