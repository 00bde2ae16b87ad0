#include "dualwrite/ops/health.hpp"

#include <fmt/format.h>

namespace dualwrite::ops {

std::string Verdict::body(std::string_view endpoint, bool verbose) const {
  if (!verbose) return ok ? "ok\n" : "failed\n";
  std::string out;
  for (const auto& c : checks) {
    out += fmt::format("[{}]{} {}{}{}\n", c.ok ? '+' : '-', c.name, c.ok ? "ok" : "failed",
                       c.detail.empty() ? "" : ": ", c.detail);
  }
  out += fmt::format("{} check {}\n", endpoint, ok ? "passed" : "failed");
  return out;
}

Health::Health(std::chrono::milliseconds ready_max_lag, std::chrono::milliseconds liveness_timeout)
    : liveness_timeout_(liveness_timeout), ready_max_lag_ms_(ready_max_lag.count()) {}

void Health::beat(SteadyClock::time_point now) {
  last_beat_ns_.store(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
}

void Health::update(bool source_connected, bool target_healthy, double lag_seconds) {
  source_connected_.store(source_connected);
  target_healthy_.store(target_healthy);
  lag_seconds_.store(lag_seconds);
}

void Health::update_progress(double target_wait_seconds, double stalled_seconds) {
  target_wait_seconds_.store(target_wait_seconds);
  stalled_seconds_.store(stalled_seconds);
}

void Health::set_ready_max_lag(std::chrono::milliseconds max_lag) {
  ready_max_lag_ms_.store(max_lag.count());
}

void Health::set_ready_max_stall(std::chrono::milliseconds max_stall) {
  ready_max_stall_ms_.store(max_stall.count());
}

Verdict Health::liveness(SteadyClock::time_point now) const {
  Verdict v;
  const auto beat_ns = last_beat_ns_.load();
  Check loop{"loop", false, ""};
  if (beat_ns == 0) {
    loop.detail = "the apply loop has not started";
  } else {
    const auto age = now.time_since_epoch() - std::chrono::nanoseconds(beat_ns);
    const double age_s = std::chrono::duration<double>(age).count();
    loop.ok = age <= liveness_timeout_;
    loop.detail = fmt::format("last turn {:.1f} s ago (limit {:.0f} s)", age_s,
                              std::chrono::duration<double>(liveness_timeout_).count());
  }
  v.ok = loop.ok;
  v.checks.push_back(std::move(loop));
  return v;
}

Verdict Health::readiness(SteadyClock::time_point now) const {
  Verdict v = liveness(now);
  const bool source = source_connected_.load();
  v.checks.push_back({"source", source, source ? "streaming" : "not connected"});
  const bool target = target_healthy_.load();
  const double wait = target_wait_seconds_.load();
  const double max_stall = static_cast<double>(ready_max_stall_ms_.load()) / 1000.0;
  // A target that has not answered for as long as work may stall is as good as down.
  const bool answering = wait <= max_stall;
  v.checks.push_back({"target", target && answering,
                      !target     ? "not connected"
                      : wait >= 1 ? fmt::format("connected, waiting {:.0f} s for an answer", wait)
                                  : "connected"});
  const double lag = lag_seconds_.load();
  const double max_lag = static_cast<double>(ready_max_lag_ms_.load()) / 1000.0;
  const bool lag_ok = lag <= max_lag;
  v.checks.push_back(
      {"lag", lag_ok,
       fmt::format("{:.1f} s ({} {:.1f} s)", lag, lag_ok ? "within" : "above", max_lag)});
  const double stalled = stalled_seconds_.load();
  const bool moving = stalled <= max_stall;
  v.checks.push_back(
      {"progress", moving,
       stalled <= 0
           ? std::string("nothing pending")
           : fmt::format("no progress for {:.0f} s while changes are pending ({} {:.0f} s)",
                         stalled, moving ? "within" : "above", max_stall)});
  v.ok = true;
  for (const auto& c : v.checks) v.ok = v.ok && c.ok;
  return v;
}

}  // namespace dualwrite::ops
