// The table of subcommands. Each command's file defines one `Command make_<name>_command()`.
#include "dualwrite/cli/app.hpp"

namespace dualwrite::cli {

Command make_check_command();
Command make_bootstrap_command();
Command make_run_command();
Command make_status_command();
Command make_peek_command();
Command make_replay_command();
Command make_verify_command();
Command make_dead_letters_command();
Command make_decommission_command();
Command make_decode_command();

// In the order of daemon.md's table, which is the order of a cutover.
std::vector<Command> all_commands() {
  return {
      make_check_command(),   make_bootstrap_command(),    make_run_command(),
      make_status_command(),  make_peek_command(),         make_replay_command(),
      make_verify_command(),  make_dead_letters_command(), make_decommission_command(),
      make_decode_command(),
  };
}

}  // namespace dualwrite::cli
