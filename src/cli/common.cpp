#include "common.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/admin/inspect.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/ops/logging.hpp"
#include "dualwrite/pg/attempt.hpp"

namespace dualwrite::cli {

namespace {

config::LoadResult load(const ConfigOption& option) {
  return config::load_file(option.path, config::process_environment(), option.given,
                           config::process_environment_names());
}

void print_plain(const std::vector<std::string>& warnings,
                 const std::vector<std::string>& problems) {
  for (const auto& w : warnings)
    std::fprintf(stderr, "dualwrite: config: warning: %s\n", w.c_str());
  for (const auto& p : problems) std::fprintf(stderr, "dualwrite: config: %s\n", p.c_str());
}

}  // namespace

void add_config_option(CLI::App& app, std::shared_ptr<ConfigOption> option) {
  app.add_option("--config", option->path, "Configuration file")
      ->each([option](const std::string&) { option->given = true; });
}

std::optional<config::LoadResult> load_config(const ConfigOption& option) {
  try {
    auto loaded = load(option);
    print_plain(loaded.warnings, {});
    return loaded;
  } catch (const config::ConfigError& e) {
    print_plain(e.warnings(), e.problems());
    return std::nullopt;
  }
}

std::optional<config::LoadResult> load_config_logged(const ConfigOption& option,
                                                     bool set_up_logging) {
  try {
    auto loaded = load(option);
    if (set_up_logging) ops::setup_logging(loaded.config.log.level, loaded.config.log.format);
    for (const auto& w : loaded.warnings) spdlog::warn("config: {}", w);
    return loaded;
  } catch (const config::ConfigError& e) {
    if (set_up_logging) {
      // Not set up yet: in the format the configuration names, if that much could be read.
      // Text stays the plain lines every command prints (a person reads them on a terminal).
      if (e.log_format().empty() ||
          ops::resolve_log_format(e.log_format()) == ops::LogFormat::text) {
        print_plain(e.warnings(), e.problems());
        return std::nullopt;
      }
      ops::setup_logging("info", e.log_format());
    }
    for (const auto& w : e.warnings()) spdlog::warn("config: {}", w);
    for (const auto& p : e.problems()) {
      if (set_up_logging) {
        spdlog::critical("config: {}", p);
      } else {
        spdlog::error("config: {}", p);
      }
    }
    return std::nullopt;
  }
}

std::optional<config::Milliseconds> duration_option(const char* flag, const std::string& text,
                                                    const char* expected) {
  auto value = config::parse_duration(text);
  if (!value) std::fprintf(stderr, "dualwrite: %s %s, got '%s'\n", flag, expected, text.c_str());
  return value;
}

int refuse(const Error& error) {
  std::fprintf(stderr, "dualwrite: %s: %s\n", to_string(error.domain),
               pg::one_line(error.message).c_str());
  return exit_code(error.domain);
}

int connect_both(const config::Config& config, std::optional<apply::Connection>& source,
                 std::optional<apply::Connection>& target) {
  try {
    auto s = pg::attempt(ErrorDomain::source, [&] { return admin::connect_source(config); });
    if (!s) return refuse(s.error());
    source = std::move(*s);
    auto t = pg::attempt(ErrorDomain::target, [&] { return admin::connect_target(config); });
    if (!t) return refuse(t.error());
    target = std::move(*t);
    return 0;
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "dualwrite: config: %s\n", pg::one_line(e.what()).c_str());
    return exit_code(ErrorDomain::usage);
  }
}

}  // namespace dualwrite::cli
