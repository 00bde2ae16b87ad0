// Health: what /livez and /readyz answer.
//
// For: liveness ("the apply thread is turning or knowingly waiting": a heartbeat the daemon's
// supervisor refreshes by ops/liveness.hpp's verdict, no database check, so a slow database
// never gets the process killed) and readiness ("streaming, target connected and answering,
// lag under [metrics] ready_max_lag, and no work pending without progress for longer than
// [metrics] ready_max_stall"), each as a verdict with one line per check for `?verbose`. Liveness
// is what systemd's watchdog and a Kubernetes liveness probe should use; readiness is for load
// balancers, dashboards and cutover scripts. Not for: HTTP (http_server.hpp) or computing lag
// (Metrics::refresh returns it). Thread-safety: every member function is safe from any thread
// (atomics).
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

namespace dualwrite::ops {

struct Check {
  std::string name;
  bool ok = false;
  std::string detail;
};

struct Verdict {
  bool ok = false;
  std::vector<Check> checks;
  // "ok" / "failed", or with `verbose` one line per check ("[+]loop ok: …", "[-]lag failed: …")
  // and a last line naming the endpoint's outcome.
  std::string body(std::string_view endpoint, bool verbose) const;
};

class Health {
 public:
  using SteadyClock = std::chrono::steady_clock;

  explicit Health(std::chrono::milliseconds ready_max_lag,
                  std::chrono::milliseconds liveness_timeout = std::chrono::seconds(30));

  // The loop turned (call on every tick).
  void beat(SteadyClock::time_point now = SteadyClock::now());
  // The pipeline's state as of the last tick.
  void update(bool source_connected, bool target_healthy, double lag_seconds);
  // How long the apply thread has waited for the target without an answer (0: not waiting),
  // and how long work has been pending without progress (0: none pending).
  void update_progress(double target_wait_seconds, double stalled_seconds);
  // SIGHUP: [metrics] ready_max_lag is reloadable.
  void set_ready_max_lag(std::chrono::milliseconds max_lag);
  void set_ready_max_stall(std::chrono::milliseconds max_stall);

  Verdict liveness(SteadyClock::time_point now = SteadyClock::now()) const;
  Verdict readiness(SteadyClock::time_point now = SteadyClock::now()) const;

 private:
  std::chrono::milliseconds liveness_timeout_;
  std::atomic<std::int64_t> ready_max_lag_ms_;
  std::atomic<std::int64_t> last_beat_ns_{0};  // steady clock; 0: never
  std::atomic<bool> source_connected_{false};
  std::atomic<bool> target_healthy_{false};
  std::atomic<double> lag_seconds_{0};
  std::atomic<double> target_wait_seconds_{0};
  std::atomic<double> stalled_seconds_{0};
  std::atomic<std::int64_t> ready_max_stall_ms_{120'000};
};

}  // namespace dualwrite::ops
