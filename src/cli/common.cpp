#include "common.hpp"

#include <cstdio>

#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/admin/inspect.hpp"
#include "dualwrite/core/error.hpp"

namespace dualwrite::cli {

std::optional<config::LoadResult> load_config(const ConfigOption& option) {
  try {
    return config::load_file(option.path, config::process_environment(), option.given);
  } catch (const config::ConfigError& e) {
    for (const auto& p : e.problems()) std::fprintf(stderr, "dualwrite: config: %s\n", p.c_str());
    return std::nullopt;
  }
}

int connect_both(const config::Config& config, std::optional<apply::Connection>& source,
                 std::optional<apply::Connection>& target) {
  ErrorDomain side = ErrorDomain::source;
  try {
    source = admin::connect_source(config);
    side = ErrorDomain::target;
    target = admin::connect_target(config);
    return 0;
  } catch (const apply::DbError& e) {
    std::fprintf(stderr, "dualwrite: %s: %s\n", to_string(side), admin::one_line(e).c_str());
    return exit_code(side);
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "dualwrite: config: %s\n", admin::one_line(e).c_str());
    return exit_code(ErrorDomain::usage);
  }
}

}  // namespace dualwrite::cli
