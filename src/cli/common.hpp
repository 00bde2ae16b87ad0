// Shared pieces of the commands: the --config option, loading the configuration with one clear
// line per problem, reading a duration option, refusing with one line for an error, and
// connecting to both sides with one clear line naming the side that failed.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>

#include "dualwrite/apply/pg.hpp"
#include "dualwrite/config/config.hpp"
#include "dualwrite/core/error.hpp"

namespace dualwrite::cli {

struct ConfigOption {
  std::string path{config::default_config_path};
  bool given = false;
};

// Declares `--config FILE` on a command: the path, and that it was given (a given file must
// exist; without it the default one may be missing). `option` may share its owner's lifetime:
// add_config_option(app, {options, &options->config}).
void add_config_option(CLI::App& app, std::shared_ptr<ConfigOption> option);

// Loads the configuration; prints each warning and each problem on its own line on stderr, and
// returns nullopt on problems (the caller exits with the usage code).
std::optional<config::LoadResult> load_config(const ConfigOption& option);

// The daemon's load_config: warnings and problems go to its log. With `set_up_logging` (start-up)
// it installs the logger as the configuration says; when the configuration has problems, in the
// format it names if that much could be read (ConfigError::log_format(): json and journal
// logs get their errors as JSON lines or with the journal's priority), else, and for text, as
// load_config's plain lines. Without (SIGHUP) the running logger reports them.
std::optional<config::LoadResult> load_config_logged(const ConfigOption& option,
                                                     bool set_up_logging);

// The value of a duration option (as config::parse_duration reads it: 250ms, 10s, 5min, 2h), or
// nullopt after one line on stderr, "dualwrite: <flag> <expected>, got '<text>'" (the caller
// exits with the usage code).
std::optional<config::Milliseconds> duration_option(const char* flag, const std::string& text,
                                                    const char* expected);

// One line on stderr, "dualwrite: <domain>: <the message on one line>" (pg::one_line), and the
// exit code of the error's domain.
int refuse(const Error& error);

// Connects to the source, then the target, as configured. Returns 0, or the exit code of the
// side that failed (4 source, 5 target; 2 for an unreadable password file) after one line on
// stderr naming it.
int connect_both(const config::Config& config, std::optional<apply::Connection>& source,
                 std::optional<apply::Connection>& target);

}  // namespace dualwrite::cli
