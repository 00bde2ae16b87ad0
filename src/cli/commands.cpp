// The table of subcommands. Each command's file defines one `Command make_<name>_command()`.
#include "dualwrite/cli/app.hpp"

namespace dualwrite::cli {

std::vector<Command> all_commands() {
  return {};
}

}  // namespace dualwrite::cli
