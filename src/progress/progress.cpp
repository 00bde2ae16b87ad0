#include "dualwrite/progress/progress.hpp"

#include <algorithm>

namespace dualwrite::progress {

Lsn confirmable(const Positions& p) {
  if (p.outstanding) return p.durable;
  return std::max(p.durable, p.server_wal_end);
}

StatusValues build_status(const Positions& p, Lsn confirmed) {
  return StatusValues{
      .write = std::max(p.received, confirmed),
      .flush = confirmed,
      // Everything up to confirmable() is applied: the durable position, or walEnd when nothing
      // is outstanding. Reported also within a replay window, so `verify`, `status` and
      // `decommission` can read the applied position off pg_stat_replication.replay_lsn.
      .apply = std::max(confirmable(p), confirmed),
  };
}

double lag_seconds(std::chrono::system_clock::time_point now,
                   std::optional<std::chrono::system_clock::time_point> last_applied_commit,
                   bool outstanding) {
  if (!outstanding || !last_applied_commit) return 0.0;
  const auto age = std::chrono::duration<double>(now - *last_applied_commit).count();
  return std::max(0.0, age);
}

Duration status_interval(Duration wal_sender_timeout, Duration configured) {
  if (wal_sender_timeout <= Duration::zero()) return configured;
  return std::min(configured, wal_sender_timeout / 2);
}

ReplayWindow::ReplayWindow(Duration window, Lsn floor)
    : window_(std::max(window, Duration::zero())),
      granularity_(std::max<Duration>(window_ / 512, std::chrono::milliseconds(10))),
      admitted_(floor) {}

Lsn ReplayWindow::admit(TimePoint now, Lsn candidate) {
  if (window_ == Duration::zero()) {
    admitted_ = std::max(admitted_, candidate);
    return admitted_;
  }
  if (history_.empty() || candidate > history_.back().lsn) {
    // Each entry stands for a bucket of offers and carries the end of that bucket, so that a
    // value is admitted no earlier than `window` after it was offered (at most one bucket
    // later).
    if (!history_.empty() && now < history_.back().at) {
      history_.back().lsn = candidate;
    } else {
      history_.push_back(Entry{now + granularity_, candidate});
    }
  }
  const TimePoint horizon = now - window_;
  while (!history_.empty() && history_.front().at <= horizon) {
    admitted_ = std::max(admitted_, history_.front().lsn);
    history_.pop_front();
  }
  return admitted_;
}

bool StatusPolicy::due(const StatusValues& values, bool reply_requested) const {
  if (reply_requested || !last_sent_at_) return true;
  const auto since = clock_->now() - *last_sent_at_;
  if (since >= config_.interval) return true;
  const std::uint64_t moved = values.flush.bytes_since(last_sent_.flush);
  return moved > config_.progress_bytes || (moved > 0 && since >= config_.progress_gap);
}

void StatusPolicy::sent(const StatusValues& values) {
  last_sent_at_ = clock_->now();
  last_sent_ = values;
}

TimePoint StatusPolicy::next_deadline() const {
  if (!last_sent_at_) return clock_->now();
  return *last_sent_at_ + config_.interval;
}

namespace {

Lsn confirmed_floor(Lsn start, Lsn slot_confirmed) {
  return slot_confirmed.is_valid() ? std::min(start, slot_confirmed) : start;
}

}  // namespace

ProgressTracker::ProgressTracker(Lsn start, Duration replay_window, const Clock& clock,
                                 Lsn slot_confirmed)
    : clock_(&clock),
      window_(replay_window, confirmed_floor(start, slot_confirmed)),
      received_(start),
      durable_(start),
      confirmed_(confirmed_floor(start, slot_confirmed)) {}

void ProgressTracker::on_delivered(std::uint64_t seq, Lsn data_start, Lsn wal_end) {
  std::lock_guard lock(mu_);
  delivered_seq_ = std::max(delivered_seq_, seq);
  received_ = std::max(received_, data_start);
  server_wal_end_ = std::max(server_wal_end_, wal_end);
}

void ProgressTracker::on_server_wal_end(Lsn wal_end) {
  std::lock_guard lock(mu_);
  server_wal_end_ = std::max(server_wal_end_, wal_end);
}

void ProgressTracker::mark_durable(Lsn lsn) {
  std::lock_guard lock(mu_);
  durable_ = std::max(durable_, lsn);
}

void ProgressTracker::mark_consumed(std::uint64_t seq) {
  std::lock_guard lock(mu_);
  consumed_seq_ = std::max(consumed_seq_, seq);
}

void ProgressTracker::note_applied_commit_time(std::chrono::system_clock::time_point t) {
  std::lock_guard lock(mu_);
  last_applied_commit_ = t;
}

Positions ProgressTracker::positions_locked() const {
  return Positions{
      .received = received_,
      .server_wal_end = server_wal_end_,
      .durable = durable_,
      .outstanding = consumed_seq_ < delivered_seq_,
  };
}

StatusValues ProgressTracker::status() {
  std::lock_guard lock(mu_);
  const Positions p = positions_locked();
  confirmed_ = std::max(confirmed_, window_.admit(clock_->now(), confirmable(p)));
  return build_status(p, confirmed_);
}

ProgressTracker::Snapshot ProgressTracker::snapshot() const {
  std::lock_guard lock(mu_);
  return Snapshot{
      .positions = positions_locked(),
      .confirmed = confirmed_,
      .delivered_seq = delivered_seq_,
      .consumed_seq = consumed_seq_,
      .last_applied_commit = last_applied_commit_,
  };
}

Lsn ProgressTracker::durable() const {
  std::lock_guard lock(mu_);
  return durable_;
}

}  // namespace dualwrite::progress
