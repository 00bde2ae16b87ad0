// `dualwrite run [--accept-gap-from LSN] [--skip-backfill]`: the daemon. Streams, translates and
// applies until SIGTERM/SIGINT (exit 0); SIGHUP reloads what can change at run time and logs
// what needs a restart. The two flags are the operator's explicit decisions when `run` would
// create the slot (daemon/setup.hpp): accept the gap a dropped slot left, naming where it starts;
// start a fresh bridge on populated legacy tables without a bootstrap.
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <optional>
#include <thread>

#include "common.hpp"
#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/cli/app.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/core/lsn.hpp"
#include "dualwrite/daemon/runner.hpp"
#include "dualwrite/ops/health.hpp"
#include "dualwrite/ops/http_server.hpp"
#include "dualwrite/ops/logging.hpp"
#include "dualwrite/ops/metrics.hpp"
#include "dualwrite/ops/notifier.hpp"
#include "dualwrite/ops/slot_poller.hpp"
#include "dualwrite/ops/verify_poller.hpp"
#include "dualwrite/pg/session.hpp"

#ifndef DUALWRITE_VERSION
#define DUALWRITE_VERSION "unknown"
#endif

namespace dualwrite::cli {

namespace {

struct RunOptions {
  ConfigOption config;
  std::string accept_gap_from;  // empty: not given
  bool skip_backfill = false;
};

// The operator's decisions for setup (daemon/setup.hpp); nullopt after one line on stderr when
// --accept-gap-from is no LSN.
std::optional<daemon::SetupOptions> setup_options(const RunOptions& o) {
  daemon::SetupOptions setup;
  setup.skip_backfill = o.skip_backfill;
  if (!o.accept_gap_from.empty()) {
    setup.accept_gap_from = Lsn::parse(o.accept_gap_from);
    if (!setup.accept_gap_from || !setup.accept_gap_from->is_valid()) {
      std::fprintf(stderr,
                   "dualwrite: --accept-gap-from takes the LSN the refusal printed (such as "
                   "0/16B3748); got '%s'\n",
                   o.accept_gap_from.c_str());
      return std::nullopt;
    }
  }
  return setup;
}

// Signals are taken by one thread with sigwait, so no handler runs inside libpq or Asio. They
// are blocked before any thread starts (the HTTP server's, the slot poller's), which inherit
// the mask: otherwise SIGTERM could land on one of those and kill the process uncleanly.
sigset_t block_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

void log_start(const config::LoadResult& loaded) {
  spdlog::info("dualwrite {} starting", DUALWRITE_VERSION);
  for (const auto& v : loaded.values) {
    if (v.source == config::ValueSource::default_value) {
      spdlog::debug("config: [{}] {} = {} (default)", v.section, v.key, v.value);
    }
  }
}

// SIGHUP: the configuration read again; what may change at run time (log level, readiness
// thresholds, batch limits) changes, the rest is logged as needing a restart. A configuration
// with problems leaves the running one as it is.
void reload(const ConfigOption& option, const config::LoadResult& loaded, ops::Notifier& notifier,
            ops::Health& health, daemon::BatchLimits& limits) {
  auto reloaded = load_config_logged(option, /*set_up_logging=*/false);
  if (!reloaded) {
    spdlog::warn("SIGHUP: the new configuration has problems; keeping the old one");
    return;
  }
  notifier.reloading();
  const auto plan = config::plan_reload(loaded, *reloaded);
  ops::set_level(reloaded->config.log.level);
  health.set_ready_max_lag(reloaded->config.metrics.ready_max_lag);
  health.set_ready_max_stall(reloaded->config.metrics.ready_max_stall);
  limits.set(reloaded->config.apply);
  for (const auto& k : plan.applied) spdlog::info("SIGHUP: applied {}", k);
  for (const auto& k : plan.needs_restart) spdlog::warn("SIGHUP: {} needs a restart", k);
  notifier.ready();
}

int run_command(const RunOptions& o) {
  const ConfigOption& option = o.config;
  const auto setup = setup_options(o);
  if (!setup) return exit_code(ErrorDomain::usage);
  const sigset_t signals = block_signals();
  auto loaded = load_config_logged(option, /*set_up_logging=*/true);
  if (!loaded) return exit_code(ErrorDomain::usage);
  const auto& cfg = loaded->config;
  log_start(*loaded);

  ops::Metrics metrics(DUALWRITE_VERSION);
  ops::Health health(cfg.metrics.ready_max_lag);
  health.set_ready_max_stall(cfg.metrics.ready_max_stall);
  ops::Notifier notifier;
  std::optional<ops::HttpServer> http;
  if (!cfg.metrics.listen.empty()) {
    try {
      http.emplace(cfg.metrics.listen, metrics, health);
      spdlog::info("serving /metrics, /livez and /readyz on {}", cfg.metrics.listen);
    } catch (const ops::HttpError& e) {
      spdlog::critical("{}", e.what());
      return exit_code(ErrorDomain::usage);
    }
  }
  std::string source_password;
  std::string target_password;
  try {
    source_password = admin::source_password(cfg);
    target_password = admin::target_password(cfg);
  } catch (const config::ConfigError& e) {
    spdlog::critical("{}", e.what());
    return exit_code(ErrorDomain::usage);
  }
  daemon::BatchLimits limits;
  limits.set(cfg.apply);
  // The source's current position, from the slot poller: lag keeps growing while the bridge
  // cannot stream or apply.
  progress::LagMonitor lag(std::chrono::system_clock::now());
  ops::SlotPoller poller(
      {cfg.source.conninfo, source_password, cfg.source.slot, std::chrono::seconds(5),
       [&lag](Lsn current) { lag.on_source_position(current); }},
      metrics);
  poller.start();
  // dualwrite_verify_mismatches{table}: what the last `dualwrite verify` recorded on the target.
  ops::VerifyPoller verify_poller(
      {cfg.effective_target_conninfo(), target_password, std::chrono::seconds(30)}, metrics);
  verify_poller.start();

  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  // SIGTERM ends every wait on a database, also in code that takes no cancel callback.
  pg::set_process_stop(&stop);
  std::thread signal_thread([&] {
    while (!done.load()) {
      timespec timeout{0, 200'000'000};
      const int sig = sigtimedwait(&signals, nullptr, &timeout);
      if (sig == SIGTERM || sig == SIGINT) {
        spdlog::info(
            "received {}: finishing the open batch (a wait on a database ends within "
            "seconds)",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
        notifier.stopping("finishing the open batch");
        stop.store(true);
      } else if (sig == SIGHUP) {
        reload(option, *loaded, notifier, health, limits);
      }
    }
  });

  apply::ApplyStats stats;
  int code = 0;
  try {
    code = daemon::run(cfg, stop, stats, daemon::Observers{&metrics, &health, &notifier, &lag},
                       &limits, *setup);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    code = exit_code(ErrorDomain::internal);
  }
  done.store(true);
  signal_thread.join();
  poller.stop();
  verify_poller.stop();
  pg::set_process_stop(nullptr);
  return code;
}

}  // namespace

Command make_run_command() {
  return Command{"run", "Stream, translate and apply legacy changes until SIGTERM (the daemon)",
                 [](CLI::App& app) -> std::function<int()> {
                   auto o = std::make_shared<RunOptions>();
                   add_config_option(app, {o, &o->config});
                   app.add_option("--accept-gap-from", o->accept_gap_from,
                                  "The slot was dropped: create it again and accept losing the "
                                  "legacy changes committed after LSN, the position the "
                                  "refusal printed (recorded in dualwrite.stream_gaps)");
                   app.add_flag("--skip-backfill", o->skip_backfill,
                                "A fresh bridge on legacy tables that hold rows: stream from now "
                                "without `dualwrite bootstrap`, leaving those rows uncopied "
                                "(recorded in dualwrite.stream_gaps)");
                   return [o] { return run_command(*o); };
                 }};
}

}  // namespace dualwrite::cli
