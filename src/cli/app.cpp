#include "dualwrite/cli/app.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "dualwrite/core/error.hpp"

#ifndef DUALWRITE_VERSION
#define DUALWRITE_VERSION "unknown"
#endif

namespace dualwrite::cli {

namespace {

// `dualwrite --config FILE COMMAND …` as well as `dualwrite COMMAND --config FILE …`: every
// command owns its --config (daemon.md), so a leading one is moved behind the command's name
// (behind `dead-letters LIST|SHOW|…` for that one, whose subcommands own it).
std::vector<std::string> hoist_config(std::vector<std::string> args) {
  std::vector<std::string> config;
  while (args.size() > 1) {
    if (args[1] == "--config" && args.size() > 2) {
      config.insert(config.end(), {args[1], args[2]});
      args.erase(args.begin() + 1, args.begin() + 3);
    } else if (args[1].rfind("--config=", 0) == 0) {
      config.push_back(args[1]);
      args.erase(args.begin() + 1);
    } else {
      break;
    }
  }
  if (config.empty() || args.size() < 2) return args;
  std::size_t behind = 2;
  if (args[1] == "dead-letters" && args.size() > 2 && args[2].rfind('-', 0) != 0) behind = 3;
  args.insert(args.begin() + static_cast<std::ptrdiff_t>(behind), config.begin(), config.end());
  return args;
}

}  // namespace

int run_main(int argc, char** argv) {
  CLI::App app{
      "dualwrite: change-data-capture bridge from the legacy schema to the normalized one"};
  app.set_version_flag("--version", std::string("dualwrite ") + DUALWRITE_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  const std::vector<Command> commands = all_commands();
  std::function<int()> action;
  std::string names;
  for (const auto& command : commands) {
    CLI::App* sub = app.add_subcommand(command.name, command.description);
    auto run = command.setup(*sub);
    sub->callback([&action, run]() { action = run; });
    names += (names.empty() ? "" : ", ") + command.name;
  }

  const std::vector<std::string> args = hoist_config(std::vector<std::string>(argv, argv + argc));
  // CLI11 would call a mistyped command "A subcommand is required".
  if (args.size() > 1 && args[1].rfind('-', 0) != 0 &&
      std::none_of(commands.begin(), commands.end(),
                   [&](const Command& c) { return c.name == args[1]; })) {
    std::fprintf(stderr,
                 "dualwrite: unknown command '%s'; the commands are %s (see: dualwrite --help)\n",
                 args[1].c_str(), names.c_str());
    return exit_code(ErrorDomain::usage);
  }
  std::vector<const char*> pointers;
  for (const auto& arg : args) pointers.push_back(arg.c_str());

  try {
    app.parse(static_cast<int>(pointers.size()), pointers.data());
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
