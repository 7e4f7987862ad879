#include <fmt/core.h>

#include "cli/command.hpp"
#include "cli/info.hpp"

namespace berth::cli {
namespace {

const CommandRegistration reg(900, {"version"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("version", "Show the berth version");
  auto format = std::make_shared<std::string>("pretty");
  auto short_flag = std::make_shared<bool>(false);
  auto verbose = std::make_shared<bool>(false);
  cmd->add_option("-f,--format", *format, "pretty or json")->check(CLI::IsMember({"pretty", "json"}));
  cmd->add_flag("--short", *short_flag, "Print only the version number");
  cmd->add_flag("--verbose", *verbose, "Also show what berth found on this host (as `berth info`)");
  cmd->callback([&ctx, format, short_flag, verbose] {
    ctx.action = [format, short_flag, verbose] {
      if (*verbose && !*short_flag) {
        auto info = host_info();
        if (*format == "json")
          fmt::print("{}\n", info.dump(2));
        else
          print_host_info(info);
      } else if (*short_flag)
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
