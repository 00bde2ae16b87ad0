// `dualwrite bootstrap [--reuse-slot] [--chunk-rows N] [--progress-interval DURATION]`: Phase 1,
// starting the bridge on a populated database (backfill/backfill.hpp says how). Progress goes to
// stdout, one line per step and every --progress-interval within a long one; errors are one line
// on stderr. Interrupted (Ctrl-C, kill -9, a lost connection), the same command resumes.
#include <cstdio>
#include <memory>
#include <string>

#include "common.hpp"
#include "dualwrite/backfill/backfill.hpp"
#include "dualwrite/cli/app.hpp"
#include "dualwrite/core/error.hpp"

namespace dualwrite::cli {

namespace {

struct Options {
  ConfigOption config;
  bool reuse_slot = false;
  std::uint64_t chunk_rows = 50'000;
  std::string progress_interval = "5s";
};

int bootstrap_command(const Options& o) {
  auto loaded = load_config(o.config);
  if (!loaded) return exit_code(ErrorDomain::usage);
  const auto interval = duration_option("--progress-interval", o.progress_interval,
                                        "takes a duration like 5s or 500ms");
  if (!interval) return exit_code(ErrorDomain::usage);
  backfill::BootstrapOptions options;
  options.reuse_slot = o.reuse_slot;
  options.chunk_rows = o.chunk_rows;
  options.progress_interval = *interval;
  options.print = [](const std::string& line) {
    if (line.rfind("error: ", 0) == 0) {
      std::fflush(stdout);
      std::fprintf(stderr, "dualwrite: %s\n", line.c_str() + 7);
    } else {
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    }
  };
  return backfill::bootstrap(loaded->config, options);
}

}  // namespace

Command make_bootstrap_command() {
  return Command{
      "bootstrap",
      "Phase 1: create publication, slot and origin, backfill the new tables in the slot's "
      "snapshot (resumable)",
      [](CLI::App& app) -> std::function<int()> {
        auto o = std::make_shared<Options>();
        add_config_option(app, {o, &o->config});
        app.add_flag("--reuse-slot", o->reuse_slot,
                     "Adopt an existing slot (streaming resumes at its position) instead of "
                     "refusing");
        app.add_option("--chunk-rows", o->chunk_rows,
                       "Rows per chunk: the unit of commit and of resumption")
            ->check(CLI::Range(std::uint64_t{100}, std::uint64_t{10'000'000}));
        app.add_option("--progress-interval", o->progress_interval,
                       "How often a long step prints its progress (e.g. 5s)");
        return [o] { return bootstrap_command(*o); };
      }};
}

}  // namespace dualwrite::cli
