#pragma once
// How a command joins the CLI: each cli/<group>.cpp defines a static CommandRegistration whose
// function adds its subcommand(s) to the app and sets `ctx.action` when it is chosen. main() parses
// first and runs the chosen action afterwards, inside the one place that catches errors.
#include <CLI/CLI.hpp>

#include <functional>
#include <initializer_list>
#include <map>
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
  std::string ansi = "auto";                 // --ansi never|always|auto (COMPOSE_ANSI)
  bool dry_run = false;                      // --dry-run: print the plan, change nothing

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

// The command group `name` ("container", "image"), which several registrations add to: made by
// the first of them that runs, found by the others.
CLI::App* command_group(CLI::App& app, const std::string& name, const std::string& help);

// --build-arg values: "K=V", or "K" alone for the value of K in berth's environment (skipped when
// unset), as docker and compose read them.
void parse_build_args(const std::vector<std::string>& in, std::map<std::string, std::string>& out);

// Docker's RAMInBytes: "512", "64m", "1.5g", "100MiB" (binary units, case-insensitive); a
// UserError naming `flag` otherwise.
std::int64_t parse_bytes(const std::string& flag, const std::string& text);

// The command `argv` names (its first word that is neither a global option nor the value of
// one); empty when there is none.
std::string_view named_command(const CLI::App& app, int argc, char** argv);

// Registers the commands on `app`, which has its global options already: only those of the command
// that `argv` names, when it names one (setting up every command's options was most of a short
// command's own time), else all of them (for --help, and for CLI11 to report an unknown command).
void register_commands(CLI::App& app, Context& ctx, int argc, char** argv);

}  // namespace berth::cli
