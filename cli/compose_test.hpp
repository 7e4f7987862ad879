#pragma once
// `berth test [OPTIONS] [SERVICE...] -- CMD [ARGS...]` (compose_test.cpp).
#include <CLI/CLI.hpp>

namespace berth::cli {

// When argv names the `test` command, sets aside what follows its "--" (CMD, whose own options
// CLI11 must not read) and returns the count of the arguments before it; argc otherwise.
int set_aside_test_command(const CLI::App& app, int argc, char** argv);

}  // namespace berth::cli
