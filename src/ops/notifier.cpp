#include "dualwrite/ops/notifier.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>

namespace dualwrite::ops {

Notifier::Notifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  std::uint64_t usec = 0;
  // sd_watchdog_enabled also checks WATCHDOG_PID against our pid.
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_ = std::chrono::microseconds(static_cast<std::int64_t>(usec));
  }
}

void Notifier::send(const std::string& state) {
  if (!enabled_) return;
  const int r = sd_notify(0, state.c_str());
  if (r < 0) spdlog::warn("sd_notify: {}", std::strerror(-r));
}

void Notifier::ready(std::string_view status) {
  std::string state = "READY=1";
  if (!status.empty()) {
    std::lock_guard lock(mu_);
    last_status_ = status;
    state += "\nSTATUS=" + std::string(status);
  }
  send(state);
}

void Notifier::status(std::string_view text) {
  {
    std::lock_guard lock(mu_);
    if (text == last_status_) return;
    last_status_ = text;
  }
  send("STATUS=" + std::string(text));
}

bool Notifier::watchdog(SteadyClock::time_point now) {
  if (!enabled_ || !watchdog_) return false;
  {
    std::lock_guard lock(mu_);
    if (last_watchdog_ && now - *last_watchdog_ < *watchdog_ / 2) return false;
    last_watchdog_ = now;
  }
  send("WATCHDOG=1");
  return true;
}

void Notifier::extend_timeout(std::chrono::microseconds by, SteadyClock::time_point now) {
  if (!enabled_) return;
  {
    std::lock_guard lock(mu_);
    if (last_extend_ && now - *last_extend_ < std::chrono::seconds(1)) return;
    last_extend_ = now;
  }
  send("EXTEND_TIMEOUT_USEC=" + std::to_string(by.count()));
}

void Notifier::reloading() {
  send("RELOADING=1");
}

void Notifier::stopping(std::string_view status) {
  std::string state = "STOPPING=1";
  if (!status.empty()) state += "\nSTATUS=" + std::string(status);
  send(state);
}

}  // namespace dualwrite::ops
