// Supervisor: the daemon's view from outside the pipeline, on a thread of its own.
//
// For: everything that must stay true while the apply thread is stuck in a statement or the
// stream is down. Every second it
//   - computes lag from what the source has committed versus what the target has applied
//     (progress/lag.hpp), so that lag grows during any outage, and exports it;
//   - exports each connection's state (dualwrite_connection_up{connection},
//     dualwrite_source_connected), the counters and positions, how long the apply thread has
//     waited for the target, and how long work has been pending without progress;
//   - decides liveness with ops/liveness.hpp: WATCHDOG=1 and /livez while the apply thread
//     turns or knowingly waits under a deadline; a wait past its deadline (or any quiet wait once
//     a stop was requested) is ended by shutting its socket down (ApplyProbe::end_target_wait),
//     and logged; long waits are logged too;
//   - feeds /readyz (source streaming, target connected and answering, lag, progress) and
//     systemd's STATUS= line.
// Progress means: the handled position moved (a commit applied, or WAL passed over while caught
// up), or the current attempt got further into the open transaction than any earlier attempt
// at the same position (a large transaction being applied is progress; retrying the same
// failing change over and over is not).
// Not for: deciding batches, restarting the pipeline (daemon/runner.hpp does both), or serving
// HTTP.
// Thread-safety: ApplyProbe's members are safe from any thread. Supervisor: start/stop from
// the owning thread; attach/detach from the apply thread; tick() runs on its own thread (or a
// test's).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "dualwrite/apply/applier.hpp"
#include "dualwrite/ops/health.hpp"
#include "dualwrite/ops/liveness.hpp"
#include "dualwrite/ops/metrics.hpp"
#include "dualwrite/ops/notifier.hpp"
#include "dualwrite/ops/periodic.hpp"
#include "dualwrite/progress/lag.hpp"
#include "dualwrite/progress/progress.hpp"
#include "dualwrite/stream/driver.hpp"

namespace dualwrite::daemon {

// What the apply thread tells the supervisor.
class ApplyProbe {
 public:
  using Clock = ops::LivenessClock;

  // The apply loop turned (call at least every second while not in a target call).
  void turned(Clock::time_point now = Clock::now());

  // Marks a call that may wait on the target (connect, feed, commit, rollback) for its scope.
  class [[nodiscard]] TargetCall {
   public:
    explicit TargetCall(ApplyProbe& probe);
    ~TargetCall();
    TargetCall(const TargetCall&) = delete;
    TargetCall& operator=(const TargetCall&) = delete;

   private:
    ApplyProbe& probe_;
  };
  TargetCall target_call() { return TargetCall(*this); }

  // The apply connection: its socket (-1: none) and whether it is up.
  void set_target(int socket, bool connected);
  // The live applier's connection (apply/live.hpp), which the apply thread also waits on
  // inside its target calls: its socket, or -1 when it has none.
  void set_live_target(int socket);
  // A new attempt at the open position starts (after a (re)connect or a commit); `changes` is
  // the total of ApplyStats::changes now.
  void new_attempt(std::uint64_t changes);

  // Supervisor side.
  ops::ApplyActivity activity(std::uint64_t activity_counter) const;
  bool target_connected() const { return target_connected_.load(); }
  std::uint64_t attempt_base() const { return attempt_base_.load(); }
  // Ends the wait on the target (shutdown(2) of the apply connection's socket and of the live
  // applier's: the probe does not know which of the two the thread waits on; ending an idle
  // one costs a reconnect); false when there is none.
  bool end_target_wait();

 private:
  static std::int64_t ticks(Clock::time_point t) { return t.time_since_epoch().count(); }
  std::atomic<std::int64_t> last_turn_{ticks(Clock::now())};
  std::atomic<std::int64_t> call_since_{0};  // 0: not in a call
  std::atomic<bool> target_connected_{false};
  std::atomic<std::uint64_t> attempt_base_{0};
  std::mutex mu_;  // guards the sockets against end_target_wait racing a reconnect
  int socket_ = -1;
  int live_socket_ = -1;
};

struct SupervisorConfig {
  ops::LivenessLimits limits;
  std::chrono::milliseconds tick{1000};
};

struct SupervisorObservers {
  ops::Metrics* metrics = nullptr;
  ops::Health* health = nullptr;
  ops::Notifier* notifier = nullptr;
};

class Supervisor {
 public:
  Supervisor(SupervisorConfig config, SupervisorObservers observers, const apply::ApplyStats& stats,
             progress::LagMonitor& lag, ApplyProbe& probe, const std::atomic<bool>& stop);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  void start();
  void stop();

  // The stream of the current pipeline run (both outlive the attachment), or none.
  void attach(const stream::StreamDriver& driver, const progress::ProgressTracker& tracker);
  void detach();

  // READY=1 was sent. Until then every tick (while alive) extends systemd's start timeout
  // (EXTEND_TIMEOUT_USEC): a database down at boot is waited for, not a failed start.
  void mark_ready() { ready_.store(true); }

  // One look, as the thread does every `tick` (public for tests and for a last look at exit).
  void tick(ops::LivenessClock::time_point now, progress::WallClock::time_point wall_now);

  // What the last tick found (for tests).
  struct Findings {
    ops::LivenessVerdict liveness;
    progress::LagValues lag;
    double stalled_seconds = 0;
    bool streaming = false;
  };
  Findings last() const;

 private:
  std::string status_line(const Findings& f, Lsn applied) const;

  SupervisorConfig config_;
  SupervisorObservers observers_;
  const apply::ApplyStats& stats_;
  progress::LagMonitor& lag_;
  ApplyProbe& probe_;
  const std::atomic<bool>& stop_;
  ops::LivenessPolicy policy_;
  std::atomic<bool> ready_{false};

  mutable std::mutex mu_;
  const stream::StreamDriver* driver_ = nullptr;
  const progress::ProgressTracker* tracker_ = nullptr;
  stream::StreamStats last_stream_;
  progress::ProgressTracker::Snapshot last_progress_;
  Findings last_;
  // Progress bookkeeping (tick thread only).
  Lsn progress_handled_;
  std::uint64_t progress_best_attempt_ = 0;
  std::optional<ops::LivenessClock::time_point> pending_since_;

  ops::Periodic periodic_;  // last: stopped first
};

// The deadline past which a quiet wait on the target is taken as a server that stopped
// answering: the apply session's statement_timeout plus a margin for the server to cancel it
// and the answer to arrive.
std::chrono::milliseconds target_deadline(std::chrono::milliseconds statement_timeout);

}  // namespace dualwrite::daemon
