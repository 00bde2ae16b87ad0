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

// Loads the configuration; on problems prints each on its own line and returns nullopt (the
// caller exits with the usage code).
std::optional<config::LoadResult> load_config(const ConfigOption& option);

// Connects to the source, then the target, as configured. Returns 0, or the exit code of the
// side that failed (4 source, 5 target; 2 for an unreadable password file) after one line on
// stderr naming it.
int connect_both(const config::Config& config, std::optional<apply::Connection>& source,
                 std::optional<apply::Connection>& target);

}  // namespace dualwrite::cli
