// Shared pieces of the commands: loading the configuration with one clear line per problem.
#pragma once

#include <optional>
#include <string>

#include "dualwrite/config/config.hpp"

namespace dualwrite::cli {

struct ConfigOption {
  std::string path{config::default_config_path};
  bool given = false;
};

// Loads the configuration; on problems prints each on its own line and returns nullopt (the
// caller exits with the usage code).
std::optional<config::LoadResult> load_config(const ConfigOption& option);

}  // namespace dualwrite::cli
