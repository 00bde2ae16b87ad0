#include "common.hpp"

#include <cstdio>

namespace dualwrite::cli {

std::optional<config::LoadResult> load_config(const ConfigOption& option) {
  try {
    return config::load_file(option.path, config::process_environment(), option.given);
  } catch (const config::ConfigError& e) {
    for (const auto& p : e.problems()) std::fprintf(stderr, "dualwrite: config: %s\n", p.c_str());
    return std::nullopt;
  }
}

}  // namespace dualwrite::cli
