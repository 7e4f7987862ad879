#pragma once
// How a command joins the CLI: each cli/<group>.cpp defines a static CommandRegistration whose
// function adds its subcommand(s) to the app and sets `ctx.action` when it is chosen. main() parses
// first and runs the chosen action afterwards, inside the one place that catches errors.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "base/paths.hpp"

namespace berth::cli {

// Options that come before the command, as docker compose has them.
struct GlobalOptions {
  std::vector<std::string> files;            // -f
  std::string project_name;                  // -p
  std::string project_directory;             // --project-directory
  std::vector<std::string> env_files;        // --env-file
  std::vector<std::string> profiles;         // --profile
  std::string root;                          // --root (state root)
  int parallel = -1;                         // --parallel
  bool debug = false;                        // --debug
  std::string progress = "auto";             // --progress
  bool no_ansi = false;

  StatePaths state() const { return StatePaths::resolve(root); }
};

struct Context {
  GlobalOptions global;
  // Set by the chosen subcommand's callback; returns the process exit code.
  std::function<int()> action;
};

using RegisterFn = void (*)(CLI::App& app, Context& ctx);

struct CommandRegistration {
  // `order` sorts the commands in --help.
  CommandRegistration(int order, RegisterFn fn);
};

void register_all(CLI::App& app, Context& ctx);

}  // namespace berth::cli
