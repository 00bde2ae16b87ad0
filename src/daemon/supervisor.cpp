#include "dualwrite/daemon/supervisor.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "dualwrite/pg/session.hpp"

namespace dualwrite::daemon {

namespace {

std::uint64_t total_changes(const apply::ApplyStats& s) {
  std::uint64_t n = 0;
  for (const auto& table : s.changes) {
    for (const auto& op : table) n += op.load(std::memory_order_relaxed);
  }
  return n;
}

// Moves while a long call works: changes translated, statements built, letters written.
std::uint64_t activity_counter(const apply::ApplyStats& s) {
  std::uint64_t n = total_changes(s);
  for (const auto& k : s.rows_written) n += k.load(std::memory_order_relaxed);
  for (const auto& table : s.dead_letters) {
    for (const auto& r : table) n += r.load(std::memory_order_relaxed);
  }
  return n;
}

}  // namespace

std::chrono::milliseconds target_deadline(std::chrono::milliseconds statement_timeout) {
  return statement_timeout + std::chrono::seconds(30);
}

void ApplyProbe::turned(Clock::time_point now) {
  last_turn_.store(ticks(now));
}

ApplyProbe::TargetCall::TargetCall(ApplyProbe& probe) : probe_(probe) {
  probe_.call_since_.store(ticks(Clock::now()));
}

ApplyProbe::TargetCall::~TargetCall() {
  const auto now = Clock::now();
  probe_.call_since_.store(0);
  probe_.turned(now);
}

void ApplyProbe::set_target(int socket, bool connected) {
  std::lock_guard lock(mu_);
  socket_ = socket;
  target_connected_.store(connected);
}

void ApplyProbe::set_live_target(int socket) {
  std::lock_guard lock(mu_);
  live_socket_ = socket;
}

void ApplyProbe::new_attempt(std::uint64_t changes) {
  attempt_base_.store(changes);
}

ops::ApplyActivity ApplyProbe::activity(std::uint64_t activity_counter) const {
  ops::ApplyActivity a;
  a.last_turn = Clock::time_point(Clock::duration(last_turn_.load()));
  if (const auto since = call_since_.load(); since != 0) {
    a.call_since = Clock::time_point(Clock::duration(since));
  }
  a.activity = activity_counter;
  return a;
}

bool ApplyProbe::end_target_wait() {
  std::lock_guard lock(mu_);
  if (socket_ < 0 && live_socket_ < 0) return false;
  if (socket_ >= 0) pg::shut_down(socket_);
  if (live_socket_ >= 0) pg::shut_down(live_socket_);
  return true;
}

Supervisor::Supervisor(SupervisorConfig config, SupervisorObservers observers,
                       const apply::ApplyStats& stats, progress::LagMonitor& lag, ApplyProbe& probe,
                       const std::atomic<bool>& stop)
    : config_(config),
      observers_(observers),
      stats_(stats),
      lag_(lag),
      probe_(probe),
      stop_(stop),
      policy_(config.limits) {}

Supervisor::~Supervisor() {
  stop();
}

void Supervisor::start() {
  periodic_.start(config_.tick,
                  [this] { tick(ops::LivenessClock::now(), progress::WallClock::now()); });
}

void Supervisor::stop() {
  periodic_.stop();
}

void Supervisor::attach(const stream::StreamDriver& driver,
                        const progress::ProgressTracker& tracker) {
  std::lock_guard lock(mu_);
  driver_ = &driver;
  tracker_ = &tracker;
}

void Supervisor::detach() {
  std::lock_guard lock(mu_);
  if (driver_ != nullptr) last_stream_ = driver_->stats();
  if (tracker_ != nullptr) last_progress_ = tracker_->snapshot();
  last_stream_.connected = false;
  driver_ = nullptr;
  tracker_ = nullptr;
}

Supervisor::Findings Supervisor::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

void Supervisor::tick(ops::LivenessClock::time_point now,
                      progress::WallClock::time_point wall_now) {
  stream::StreamStats stream;
  progress::ProgressTracker::Snapshot progress;
  {
    std::lock_guard lock(mu_);
    if (driver_ != nullptr) last_stream_ = driver_->stats();
    if (tracker_ != nullptr) last_progress_ = tracker_->snapshot();
    stream = last_stream_;
    progress = last_progress_;
  }
  Findings f;
  f.streaming = stream.connected;
  if (f.streaming && !progress.positions.outstanding) {
    // Nothing delivered is unfinished: everything up to the server's walEnd is handled.
    lag_.on_caught_up(progress::confirmable(progress.positions), wall_now);
  }
  f.lag = lag_.lag(wall_now, f.streaming);

  f.liveness = policy_.assess(now, probe_.activity(activity_counter(stats_)), stop_.load());
  if (f.liveness.end_wait) {
    spdlog::warn("target: {}", f.liveness.detail);
    if (!probe_.end_target_wait()) spdlog::warn("target: no connection to end");
  } else if (f.liveness.log_wait) {
    spdlog::warn("target: {}", f.liveness.detail);
  } else if (!f.liveness.alive) {
    spdlog::error("not alive: {} (the watchdog is no longer fed)", f.liveness.detail);
  }

  // Progress: the handled position moved, or this attempt got further than any before it.
  const Lsn handled = lag_.handled();
  const std::uint64_t changes = total_changes(stats_);
  const std::uint64_t base = probe_.attempt_base();
  const std::uint64_t attempt = changes > base ? changes - base : 0;
  bool progressed = false;
  if (handled > progress_handled_) {
    progress_handled_ = handled;
    progress_best_attempt_ = attempt;
    progressed = true;
  } else if (attempt > progress_best_attempt_) {
    progress_best_attempt_ = attempt;
    progressed = true;
  }
  if (!f.lag.pending) {
    pending_since_.reset();
  } else if (!pending_since_ || progressed) {
    pending_since_ = now;
  }
  f.stalled_seconds =
      pending_since_ ? std::chrono::duration<double>(now - *pending_since_).count() : 0.0;

  const bool target_up = probe_.target_connected();
  if (observers_.metrics != nullptr) {
    auto& m = *observers_.metrics;
    m.refresh(stats_, stream, progress);
    m.set_lag(f.lag.bytes, f.lag.seconds);
    m.set_connection("target_apply", target_up);
    m.set_target_wait(f.liveness.waiting_seconds);
    m.set_stalled(f.stalled_seconds);
  }
  if (observers_.health != nullptr) {
    observers_.health->update(f.streaming, target_up, f.lag.seconds);
    observers_.health->update_progress(f.liveness.waiting_seconds, f.stalled_seconds);
    if (f.liveness.alive) observers_.health->beat();
  }
  if (observers_.notifier != nullptr) {
    if (f.liveness.alive) {
      observers_.notifier->watchdog();
      if (!ready_.load()) observers_.notifier->extend_timeout(std::chrono::seconds(30));
    }
    observers_.notifier->status(status_line(f, handled));
  }
  std::lock_guard lock(mu_);
  last_ = f;
}

std::string Supervisor::status_line(const Findings& f, Lsn applied) const {
  std::string s = fmt::format("applied {}, lag {} bytes, {:.0f} s", applied.to_string(),
                              f.lag.bytes, f.lag.seconds);
  if (!f.streaming) s += "; source not streaming";
  if (!probe_.target_connected()) s += "; target not connected";
  if (f.liveness.waiting_seconds >= 5) {
    s += fmt::format("; waiting {:.0f} s for the target", f.liveness.waiting_seconds);
  }
  if (f.stalled_seconds >= 5) s += fmt::format("; no progress for {:.0f} s", f.stalled_seconds);
  return s;
}

}  // namespace dualwrite::daemon
