// Shared pieces of the commands: loading the configuration with one clear line per problem, and
// connecting to both sides with one clear line naming the side that failed.
#pragma once

#include <optional>
#include <string>

#include "dualwrite/apply/pg.hpp"
#include "dualwrite/config/config.hpp"

namespace dualwrite::cli {

struct ConfigOption {
  std::string path{config::default_config_path};
  bool given = false;
};

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

// Connects to the source, then the target, as configured. Returns 0, or the exit code of the
// side that failed (4 source, 5 target; 2 for an unreadable password file) after one line on
// stderr naming it.
int connect_both(const config::Config& config, std::optional<apply::Connection>& source,
                 std::optional<apply::Connection>& target);

}  // namespace dualwrite::cli
