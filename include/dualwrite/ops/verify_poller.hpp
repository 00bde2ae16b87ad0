// VerifyPoller: the last verification's result as dualwrite_verify_mismatches{table}.
//
// For: `dualwrite run`, which exports what `dualwrite verify` recorded in dualwrite.verify_runs
// on the target: per table, the mismatches of the latest finished run that compared it. Polls
// at start and then every `interval` (30 s) on a thread of its own, since verify runs as a
// separate process whenever an engineer or a timer starts it. A failed poll (no such table yet,
// connection refused) counts dualwrite_errors_total{stage="verify_poll"} and logs a warning; the
// connection is reopened at the next poll (ops/poll_loop.hpp).
// Not for: running the verification (verify/), which is far too heavy for the daemon.
// Thread-safety: start()/stop() from one thread; poll_once() must not run concurrently with
// the thread.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "dualwrite/core/error.hpp"
#include "dualwrite/ops/metrics.hpp"
#include "dualwrite/ops/poll_loop.hpp"

namespace dualwrite::ops {

struct VerifyPollerConfig {
  std::string conninfo;  // the target
  std::string password;  // from the target's (or source's) password_file
  std::chrono::milliseconds interval{30'000};
};

class VerifyPoller {
 public:
  VerifyPoller(VerifyPollerConfig config, Metrics& metrics);
  ~VerifyPoller();  // stops the thread
  VerifyPoller(const VerifyPoller&) = delete;
  VerifyPoller& operator=(const VerifyPoller&) = delete;

  void start();
  void stop();
  // One poll on the calling thread: the (table, mismatches) pairs it set, or the error counted.
  Result<std::vector<std::pair<std::string, double>>> poll_once();

 private:
  VerifyPollerConfig config_;
  Metrics& metrics_;
  PollLoop loop_;  // last: stopped before the configuration goes
};

}  // namespace dualwrite::ops
