// The table of subcommands. Each command's file defines one `Command make_<name>_command()`.
#include "dualwrite/cli/app.hpp"

namespace dualwrite::cli {

Command make_decode_command();
Command make_run_command();
Command make_dead_letters_command();
Command make_verify_command();

std::vector<Command> all_commands() {
  return {
      make_run_command(),
      make_dead_letters_command(),
      make_verify_command(),
      make_decode_command(),
  };
}

}  // namespace dualwrite::cli
