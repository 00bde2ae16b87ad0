// `dualwrite run`: the daemon. Streams, translates and applies until SIGTERM/SIGINT (exit 0);
// SIGHUP reloads what can change at run time and logs what needs a restart.
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <thread>

#include "common.hpp"
#include "dualwrite/cli/app.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/daemon/runner.hpp"

namespace dualwrite::cli {

namespace {

int run_command(const ConfigOption& option) {
  auto loaded = load_config(option);
  if (!loaded) return exit_code(ErrorDomain::usage);
  const auto& cfg = loaded->config;
  spdlog::set_level(spdlog::level::from_str(cfg.log.level));
  for (const auto& v : loaded->values) {
    if (v.source == config::ValueSource::default_value) {
      spdlog::debug("config: [{}] {} = {} (default)", v.section, v.key, v.value);
    }
  }

  // Signals are taken by one thread with sigwait, so no handler runs inside libpq or Asio.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  std::thread signal_thread([&] {
    while (!done.load()) {
      timespec timeout{0, 200'000'000};
      const int sig = sigtimedwait(&signals, nullptr, &timeout);
      if (sig == SIGTERM || sig == SIGINT) {
        spdlog::info("received {}: finishing the open batch", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        stop.store(true);
      } else if (sig == SIGHUP) {
        auto reloaded = load_config(option);
        if (!reloaded) {
          spdlog::warn("SIGHUP: the new configuration has problems; keeping the old one");
          continue;
        }
        const auto plan = config::plan_reload(*loaded, *reloaded);
        spdlog::set_level(spdlog::level::from_str(reloaded->config.log.level));
        for (const auto& k : plan.applied) spdlog::info("SIGHUP: applied {}", k);
        for (const auto& k : plan.needs_restart) spdlog::warn("SIGHUP: {} needs a restart", k);
      }
    }
  });

  apply::ApplyStats stats;
  int code = 0;
  try {
    code = daemon::run(cfg, stop, stats);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    code = exit_code(ErrorDomain::internal);
  }
  done.store(true);
  signal_thread.join();
  return code;
}

}  // namespace

Command make_run_command() {
  return Command{
      "run", "Stream, translate and apply legacy changes until SIGTERM (the daemon)",
      [](CLI::App& app) -> std::function<int()> {
        auto option = std::make_shared<ConfigOption>();
        app.add_option("--config", option->path, "Configuration file")
            ->each([option](const std::string&) { option->given = true; });
        return [option] { return run_command(*option); };
      }};
}

}  // namespace dualwrite::cli
