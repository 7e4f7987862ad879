#include <fmt/core.h>

#include "cli/command.hpp"

namespace berth::cli {
namespace {

const CommandRegistration reg(900, {"version"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("version", "Show the berth version");
  auto format = std::make_shared<std::string>("pretty");
  auto short_flag = std::make_shared<bool>(false);
  cmd->add_option("-f,--format", *format, "pretty or json")->check(CLI::IsMember({"pretty", "json"}));
  cmd->add_flag("--short", *short_flag, "Print only the version number");
  cmd->callback([&ctx, format, short_flag] {
    ctx.action = [format, short_flag] {
      if (*short_flag)
        fmt::print("{}\n", BERTH_VERSION);
      else if (*format == "json")
        fmt::print("{{\"version\":\"{}\"}}\n", BERTH_VERSION);
      else
        fmt::print("berth version {}\n", BERTH_VERSION);
      return 0;
    };
  });
});

}  // namespace
}  // namespace berth::cli
