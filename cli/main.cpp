// berth: the command line. Parses, runs one use case, prints one line on error.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "base/error.hpp"
#include "base/heap.hpp"
#include "base/log.hpp"
#include "cli/command.hpp"
#include "cli/compose_test.hpp"
#include "cli/hidden_modes.hpp"
#include "cli/project_options.hpp"
#include "engine/monitor/sealed_exec.hpp"

namespace {

std::string unknown_;  // the first word that is not an option, when no command matched

// "berth: <message>" on stderr. Never throws: when stderr cannot be written either (a full disk
// behind both), the exit code is all that is left to say it.
void say_error(const std::string& message) {
  std::string line = "berth: " + message + "\n";
  (void)!std::fwrite(line.data(), 1, line.size(), stderr);
}

// CLI11 messages name the problem; add the hint compose users know.
int usage_error(const CLI::ParseError& e) {
  std::string msg = e.what();
  // CLI11 reports an unknown command as a missing subcommand; say what users typed instead.
  if (dynamic_cast<const CLI::RequiredError*>(&e) && !unknown_.empty())
    msg = "unknown command \"" + unknown_ + "\"";
  say_error(msg + "\nRun 'berth --help' for usage.");
  return 1;
}

}  // namespace

namespace {

// As docker's CLI: a repeatable option (-e, -v, -p, --label ...) takes one value each time it is
// given, so `run -e A=1 svc sh -c 'x'` does not read `svc sh` as more -e values.
void one_value_per_flag(CLI::App* app) {
  for (CLI::Option* o : app->get_options())
    if (o->nonpositional() && o->get_expected_max() > 1) o->allow_extra_args(false);
  for (CLI::App* sub : app->get_subcommands({})) one_value_per_flag(sub);
}

}  // namespace

int main(int argc, char** argv) {
  // Hidden modes (container init, ...) run before anything else starts threads.
  if (argc > 1) {
    if (auto rc = berth::cli::run_hidden_mode(argc, argv)) return *rc;
  }

  // Descriptors the caller left open (a shell's `exec 7</etc`) stay with this process: nothing
  // berth starts inherits them (engine/monitor/sealed_exec.hpp).
  berth::monitor::cloexec_fds_from(3);
  berth::use_huge_page_heap();
  berth::cli::Context ctx;
  CLI::App app{"berth: define and run multi-container applications, no daemon needed", "berth"};
  app.set_version_flag("-v,--version", std::string("berth version ") + BERTH_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  auto& g = ctx.global;
  app.add_option("-f,--file", g.files, "Compose configuration files")->type_name("FILE");
  app.add_option("-p,--project-name", g.project_name, "Project name");
  app.add_option("--project-directory", g.project_directory, "Alternate working directory");
  app.add_option("--env-file", g.env_files, "Alternate environment files")->type_name("FILE");
  app.add_option("--profile", g.profiles, "Profiles to enable");
  app.add_option("--root", g.root, "State root (default /var/lib/berth, or $BERTH_ROOT)");
  app.add_option("--parallel", g.parallel, "Maximum parallelism, -1 for unlimited");
  app.add_option("--progress", g.progress, "Progress output: auto, tty, plain, quiet")
      ->check(CLI::IsMember({"auto", "tty", "plain", "quiet", "json"}));
  app.add_flag("--ansi-never,--no-ansi", g.no_ansi, "Do not print ANSI control characters");
  app.add_option("--ansi", g.ansi, "Control characters: never, always, auto")->check(CLI::IsMember({"never", "always", "auto"}));
  app.add_flag("--dry-run", g.dry_run, "Print what the command would do and change nothing");
  app.add_flag("--debug", g.debug, "Show debug logging");
  berth::cli::register_commands(app, ctx, argc, argv);
  argc = berth::cli::set_aside_test_command(app, argc, argv);  // `berth test ... -- CMD`
  one_value_per_flag(&app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    for (auto& r : app.remaining()) {
      if (!r.empty() && r[0] != '-') {
        unknown_ = r;
        break;
      }
    }
    return usage_error(e);
  }

  berth::log::init(g.debug);
  try {  // COMPOSE_* variables for what the command line left unsaid; --dry-run where berth has it
    berth::cli::apply_compose_environment(app, g);
  } catch (const std::exception& e) {
    say_error(berth::describe(e));
    return berth::exit_code_for(e);
  }
  if (!ctx.action) {
    say_error("no command given\nRun 'berth --help' for usage.");
    return 1;
  }
  int rc = 0;
  try {
    rc = ctx.action();
  } catch (const std::exception& e) {
    say_error(berth::describe(e));
    rc = berth::exit_code_for(e);
  }
  // The command is done and every kernel resource it made has been released by its owner. What
  // is left is memory (the CLI's tables, the compiled schema) that the exit frees at once: freeing
  // it object by object took half a millisecond. So output is flushed and the process ends
  // without running destructors, as compilers' drivers do.
  spdlog::shutdown();
  if (std::fflush(stdout) != 0) {
    say_error(std::string("write standard output: ") + std::strerror(errno));
    if (rc == 0) rc = 1;
  }
  std::fflush(stderr);
  std::_Exit(rc);
}
