// dualwrite: the command-line entry point. All behaviour lives in the cli/ stage; main only
// hands over, so that every command shares one error-to-exit-code policy.
#include "dualwrite/cli/app.hpp"

int main(int argc, char** argv) {
  return dualwrite::cli::run_main(argc, argv);
}
