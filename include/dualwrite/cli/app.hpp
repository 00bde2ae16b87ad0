// The dualwrite command line: one binary, one subcommand per job (daemon.md).
//
// For: parsing arguments (CLI11), dispatching to a command, and turning every failure into one
// clear line on stderr and an exit code per failure domain (core/error.hpp). No command lets an
// exception or a stack dump reach the user.
// Not for: the work itself, which lives in the pipeline stages.
// Where the SQL lives: sql/cli/ (the commands' own statements) and sql/check/ (one query per line
// of `dualwrite check`), embedded at build time; one-line statements stay beside their code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace dualwrite::cli {

int run_main(int argc, char** argv);

// A subcommand: `setup` declares its options on the CLI11 subcommand and returns the action
// that runs once parsing succeeded. The action returns the process exit code.
struct Command {
  std::string name;
  std::string description;
  std::function<std::function<int()>(CLI::App&)> setup;
};

// Every subcommand, in the order `--help` lists them. Each command's file contributes one
// entry (see commands.cpp).
std::vector<Command> all_commands();

}  // namespace dualwrite::cli
