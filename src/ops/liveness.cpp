#include "dualwrite/ops/liveness.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dualwrite::ops {

namespace {

double seconds(LivenessClock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

LivenessVerdict LivenessPolicy::assess(LivenessClock::time_point now, const ApplyActivity& apply,
                                       bool stop_requested) {
  LivenessVerdict v;
  // The first value seen is no news: only a change counts as activity.
  if (!last_activity_) {
    last_activity_ = apply.activity;
  } else if (*last_activity_ != apply.activity) {
    last_activity_ = apply.activity;
    last_activity_at_ = now;
  }
  if (!apply.call_since) {
    const auto quiet = now - apply.last_turn;
    v.alive = quiet <= limits_.loop_quiet;
    v.detail = v.alive ? fmt::format("the loop turned {:.1f} s ago", seconds(quiet))
                       : fmt::format("the loop has not turned for {:.1f} s (limit {:.0f} s)",
                                     seconds(quiet), seconds(limits_.loop_quiet));
    return v;
  }
  const auto since = *apply.call_since;
  const auto quiet = now - std::max(since, last_activity_at_);
  v.waiting_seconds = seconds(quiet);
  if (ended_call_ == since) {
    // The wait was ended: the thread must come back from it soon.
    const auto after = now - ended_at_;
    v.alive = after <= limits_.end_grace;
    v.detail =
        fmt::format("the target call was ended {:.1f} s ago and has not returned (limit {:.0f} s)",
                    seconds(after), seconds(limits_.end_grace));
    return v;
  }
  v.alive = true;
  if (quiet > limits_.target_deadline) {
    v.end_wait = true;
    v.detail = fmt::format(
        "no answer from the target for {:.0f} s, past the deadline of {:.0f} s "
        "(statement_timeout plus a margin): ending the connection",
        seconds(quiet), seconds(limits_.target_deadline));
  } else if (stop_requested && quiet > limits_.stop_grace) {
    v.end_wait = true;
    v.detail =
        fmt::format("stopping: ending a wait on the target that has had no answer for {:.0f} s",
                    seconds(quiet));
  }
  if (v.end_wait) {
    ended_call_ = since;
    ended_at_ = now;
    return v;
  }
  v.detail = fmt::format("waiting {:.0f} s for the target (deadline {:.0f} s)", seconds(quiet),
                         seconds(limits_.target_deadline));
  if (quiet >= limits_.log_after &&
      (logged_call_ != since || now - logged_at_ >= limits_.log_every)) {
    v.log_wait = true;
    logged_call_ = since;
    logged_at_ = now;
  }
  return v;
}

}  // namespace dualwrite::ops
