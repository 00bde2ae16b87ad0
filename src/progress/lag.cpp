#include "dualwrite/progress/lag.hpp"

#include <algorithm>

namespace dualwrite::progress {

LagMonitor::LagMonitor(WallClock::time_point now) : caught_up_at_(now) {}

void LagMonitor::on_received(Lsn commit_lsn, WallClock::time_point commit_time) {
  std::lock_guard lock(mu_);
  // Already applied (a restart re-sends from the origin), or already known (the same
  // transaction received again after a reconnect): commits arrive in LSN order.
  if (commit_lsn < applied_) return;
  if (!pending_.empty() && commit_lsn <= pending_.back().commit_lsn) return;
  if (pending_.size() >= kMaxPending) {
    pending_.back().commit_lsn = commit_lsn;  // merged: keeps the older commit time
    return;
  }
  pending_.push_back(Received{commit_lsn, commit_time});
}

void LagMonitor::on_applied(Lsn applied) {
  std::lock_guard lock(mu_);
  applied_ = std::max(applied_, applied);
  // A transaction is applied once the origin holds an end LSN past its commit LSN (the
  // consumer's "already applied" rule).
  while (!pending_.empty() && pending_.front().commit_lsn < applied_) pending_.pop_front();
}

void LagMonitor::on_caught_up(Lsn wal_end, WallClock::time_point now) {
  std::lock_guard lock(mu_);
  caught_up_position_ = std::max(caught_up_position_, wal_end);
  caught_up_at_ = std::max(caught_up_at_, now);
  // Received transactions are not forgotten here: one received just now may not be counted
  // as delivered yet. Each leaves through on_applied (applied, or skipped as already applied).
}

void LagMonitor::on_source_position(Lsn current) {
  std::lock_guard lock(mu_);
  source_position_ = std::max(source_position_, current);
}

Lsn LagMonitor::handled() const {
  std::lock_guard lock(mu_);
  return std::max(applied_, caught_up_position_);
}

LagValues LagMonitor::lag(WallClock::time_point now, bool streaming) const {
  std::lock_guard lock(mu_);
  LagValues v;
  const Lsn handled = std::max(applied_, caught_up_position_);
  v.bytes = source_position_.bytes_since(handled);
  auto age = [&](WallClock::time_point since) {
    return std::max(0.0, std::chrono::duration<double>(now - since).count());
  };
  if (!pending_.empty()) {
    v.seconds = age(pending_.front().commit_time);
    v.pending = true;
  } else if (!streaming && v.bytes > 0) {
    v.seconds = age(caught_up_at_);
    v.pending = true;
  }
  return v;
}

}  // namespace dualwrite::progress
