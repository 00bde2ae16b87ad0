// StreamDriver: runs the replication stream on its own thread and hands frames to a consumer.
//
// For: the I/O of the daemon's source side. It connects (stream/replication.hpp), checks the
// slot, starts replication from the position the consumer says is durable, and then runs two
// coroutines on an Asio io_context (C++20 coroutines, Boost 1.74):
//   reader   waits until libpq's socket is readable, PQconsumeInput, drains
//            PQgetCopyData(async) until it returns 0; XLogData frames go into the FrameQueue,
//            keepalives update the server's walEnd and are answered at once when they ask for a
//            reply. When the queue is full the reader stops reading the socket (backpressure)
//            and sleeps until the queue's space callback wakes it through the io_context.
//   status   sends standby status updates (progress/ decides the values and when) at least every
//            min(wal_sender_timeout / 2, status_interval), also while the reader is blocked on a
//            full queue: the walsender processes replies even when its send buffer is full, so
//            a stalled consumer does not get the connection killed. While the reader is
//            blocked it also checks, without reading, whether the server hung up (libpq reports
//            a failed write only on the next read), so a lost connection is noticed then too.
// A lost connection (network, server restart, walsender terminated) ends the session; the
// reconnect loop waits a capped, jittered backoff and starts again from the durable position
// (asked of `durable_position`, or the tracker). Each session begins with a Restarted event in
// the queue, and frames of the previous session not yet consumed are dropped. A missing or
// invalidated slot ends run() with ErrorDomain::slot_lost (fatal, exit code 6); it is never
// retried. Errors of ErrorDomain::usage (bad options) are fatal too.
// It also notes, for lag, the commit of every transaction it receives (on_transaction): a
// pgoutput Begin carries its commit LSN and time, a Stream Commit those of a streamed one; the
// rest of the payload is the consumer's to decode.
// Blocking steps of a session (connect, the slot check, SHOW, START_REPLICATION) have
// deadlines (stream/replication.hpp) and end at once when stop() is called.
// Not for: decoding, applying or metrics export (stats() exposes the numbers; ops/ exports
// them), or signal handling (the daemon calls stop()).
//
// How a consumer plugs in: a consumer thread loops on queue.pop(); for each Frame it decodes
// frame.payload; after the target commits a transaction it calls
// tracker.mark_durable(commit end_lsn) and tracker.mark_consumed(seq of the last event it
// finished); on Restarted it drops any partial transaction and calls mark_consumed(r.seq).
// pop() returns nullopt once run() has returned and the queue is drained.
//
// Thread-safety: run() blocks the calling thread (the stream thread); stop() and stats() are
// safe from any thread. The tracker and queue are shared with the consumer thread and are
// thread-safe themselves. The driver, tracker and queue must outlive run().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "dualwrite/core/error.hpp"
#include "dualwrite/core/lsn.hpp"
#include "dualwrite/progress/clock.hpp"
#include "dualwrite/progress/progress.hpp"
#include "dualwrite/stream/backoff.hpp"
#include "dualwrite/stream/frame_queue.hpp"
#include "dualwrite/stream/framing.hpp"
#include "dualwrite/stream/replication.hpp"

namespace dualwrite::stream {

// The commit of a transaction, as its first message announces it: a pgoutput Begin
//   'B' Int64 final_lsn, Int64 commit_time, Int32 xid
// or, for a transaction streamed while it ran (protocol 2), its Stream Commit
//   'c' Int32 xid, Int8 flags, Int64 commit_lsn, Int64 end_lsn, Int64 commit_time
struct TransactionCommit {
  Lsn commit_lsn;
  PgTimestamp commit_time = 0;
};

// Pure: the commit a pgoutput payload announces, or nullopt for any other message (or one too
// short to be either; the consumer reports malformed messages).
std::optional<TransactionCommit> transaction_commit_of(std::span<const std::byte> payload);

struct StreamConfig {
  std::string conninfo;  // the source; replication=database is added
  std::string application_name = "dualwrite";
  // slot, publications, proto_version, messages; `start` is ignored (see durable_position).
  StartOptions start;
  // Upper bound of the status update interval (it is also at most wal_sender_timeout / 2).
  std::chrono::milliseconds status_interval{10'000};
  // Send a status update early when the confirmed position moved by more than this.
  std::uint64_t status_progress_bytes = std::uint64_t{16} << 20;
  BackoffConfig backoff;
  // Where each session starts: the truth after a restart is the target's replication origin.
  // Called on the stream thread before every START_REPLICATION; when empty, tracker.durable().
  // An error of domain source is retried, any other is fatal.
  std::function<Result<Lsn>()> durable_position;
  // Called on the stream thread when a session ends with an error that will be retried, with
  // the delay before the next attempt (for the warn log line; the count is in stats()).
  std::function<void(const Error&, std::chrono::milliseconds retry_in)> on_retry;
  // Called on the stream thread for each transaction received (see TransactionCommit).
  std::function<void(const TransactionCommit&)> on_transaction;
  // Frames read in a burst are announced to a waiting consumer at most this much later, so
  // that it wakes once per many frames rather than once per socket read (fewer context
  // switches; see bench/stream/README.md). 0: at once. A full queue always wakes it at once.
  std::chrono::microseconds consumer_wake_delay{1'000};
  // How long stop() waits for the server to acknowledge CopyDone before closing anyway.
  std::chrono::milliseconds stop_timeout{5'000};
};

struct StreamStats {
  std::uint64_t reconnects = 0;  // sessions retried after a failure
  std::uint64_t sessions = 0;    // sessions that reached COPY BOTH
  std::uint64_t frames = 0;      // XLogData frames received
  std::uint64_t payload_bytes = 0;
  std::uint64_t keepalives = 0;
  std::uint64_t status_updates = 0;
  bool connected = false;
  std::chrono::milliseconds status_interval{0};  // in force for the current session
};

class StreamDriver {
 public:
  StreamDriver(StreamConfig config, progress::ProgressTracker& tracker, FrameQueue& queue);
  ~StreamDriver();
  StreamDriver(const StreamDriver&) = delete;
  StreamDriver& operator=(const StreamDriver&) = delete;

  // Streams until stop() (returns Ok) or a fatal error (slot_lost, usage, internal). Closes the
  // queue before returning. Call once.
  Status run();
  // Asks run() to finish: sends a final status update (with what may be confirmed), CopyDone,
  // waits for the server's CopyDone (at most stop_timeout) and closes the connection.
  void stop();
  StreamStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dualwrite::stream
