// Notifier: the systemd notify protocol (sd_notify) for a Type=notify service.
//
// For: telling systemd READY=1 once streaming has started, STATUS= lines (position, lag) for
// `systemctl status`, WATCHDOG=1 keep-alives and STOPPING=1 on shutdown, RELOADING=1 around a
// SIGHUP, EXTEND_TIMEOUT_USEC= while start-up waits for a database. Watchdog policy: WATCHDOG=1
// is sent by the daemon's supervisor only while ops/liveness.hpp finds the apply thread turning
// or knowingly waiting under a deadline (so a stuck daemon stops sending and systemd restarts
// it after WatchdogSec), only when WATCHDOG_USEC is set for this process, and at most every
// half of that interval. STATUS= is only sent when
// its text changed.
// Without NOTIFY_SOCKET (started by hand, in tests, in a container) every call is a no-op.
// Not for: deciding when the daemon is ready (the daemon calls ready()).
// Thread-safety: all members may be called from any thread (a mutex guards the watchdog and
// status bookkeeping).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace dualwrite::ops {

class Notifier {
 public:
  using SteadyClock = std::chrono::steady_clock;

  // Reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID from the environment.
  Notifier();

  bool enabled() const { return enabled_; }
  // The watchdog interval systemd expects keep-alives within; nullopt: no watchdog.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

  void ready(std::string_view status = {});
  void status(std::string_view text);
  // Rate-limited keep-alive (see above); returns whether WATCHDOG=1 was sent.
  bool watchdog(SteadyClock::time_point now = SteadyClock::now());
  void reloading();
  // Start-up is still going on: systemd is to wait `by` more (EXTEND_TIMEOUT_USEC), at most
  // once per second.
  void extend_timeout(std::chrono::microseconds by,
                      SteadyClock::time_point now = SteadyClock::now());
  void stopping(std::string_view status = {});

 private:
  void send(const std::string& state);

  bool enabled_ = false;
  std::optional<std::chrono::microseconds> watchdog_;
  std::mutex mu_;
  std::optional<SteadyClock::time_point> last_watchdog_;
  std::optional<SteadyClock::time_point> last_extend_;
  std::string last_status_;
};

}  // namespace dualwrite::ops
