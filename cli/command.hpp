#pragma once
// How a command joins the CLI: each cli/<group>.cpp defines a static CommandRegistration whose
// function adds its subcommand(s) to the app and sets `ctx.action` when it is chosen. main() parses
// first and runs the chosen action afterwards, inside the one place that catches errors.
#include <CLI/CLI.hpp>

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
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
  // `order` sorts the commands in --help; `commands` names the top-level commands `fn` adds (or
  // adds to): a command line that names one of them registers only the functions that do.
  CommandRegistration(int order, std::initializer_list<std::string_view> commands, RegisterFn fn);
};

// Registers the commands on `app`, which has its global options already: only those of the command
// that `argv` names, when it names one (setting up every command's options was most of a short
// command's own time), else all of them (for --help, and for CLI11 to report an unknown command).
void register_commands(CLI::App& app, Context& ctx, int argc, char** argv);

}  // namespace berth::cli
