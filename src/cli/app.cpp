#include "dualwrite/cli/app.hpp"

#include <cstdio>
#include <exception>

#include "dualwrite/core/error.hpp"

#ifndef DUALWRITE_VERSION
#define DUALWRITE_VERSION "unknown"
#endif

namespace dualwrite::cli {

int run_main(int argc, char** argv) {
  CLI::App app{
      "dualwrite: change-data-capture bridge from the legacy schema to the normalized one"};
  app.set_version_flag("--version", std::string("dualwrite ") + DUALWRITE_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  std::function<int()> action;
  for (auto& command : all_commands()) {
    CLI::App* sub = app.add_subcommand(command.name, command.description);
    auto run = command.setup(*sub);
    sub->callback([&action, run]() { action = run; });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, what is wrong and how to find out more; CLI11's own exit() prints the whole
    // usage, which buries the actual problem.
    std::fprintf(stderr, "dualwrite: %s (see: dualwrite --help)\n", e.what());
    return exit_code(ErrorDomain::usage);
  }

  try {
    return action ? action() : exit_code(ErrorDomain::usage);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dualwrite: %s\n", e.what());
    return exit_code(ErrorDomain::internal);
  }
}

}  // namespace dualwrite::cli
