// berth build: the project's images from their `build:` sections (builder/image_build.hpp).
#include <unistd.h>

#include "base/error.hpp"
#include "cli/command.hpp"
#include "cli/compose_project.hpp"
#include "compose/orchestrate/project_runtime.hpp"

namespace berth::cli {
namespace {

using compose::orchestrate::BuildFlags;
using compose::orchestrate::ProjectRuntime;

const CommandRegistration build_reg(28, {"build"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("build", "Build or rebuild services");
  auto flags = std::make_shared<BuildFlags>();
  auto args = std::make_shared<std::vector<std::string>>();
  auto services = std::make_shared<std::vector<std::string>>();
  cmd->add_flag("--no-cache", flags->no_cache, "Do not use cache when building the image");
  cmd->add_flag("--pull", flags->pull, "Always attempt to pull a newer version of the image");
  cmd->add_flag("-q,--quiet", flags->quiet, "Don't print anything to stdout");
  cmd->add_option("--build-arg", *args, "Set build-time variables for services (KEY=VALUE)");
  cmd->add_option("services", *services, "Services");
  cmd->callback([&ctx, flags, args, services] {
    ctx.action = [&ctx, flags, args, services] {
      compose::Project p = load_project(ctx, *services);
      for (const auto& s : *services)
        if (!p.services.count(s)) throw UserError("no such service: " + s);
      parse_build_args(*args, flags->args);
      flags->quiet = flags->quiet || ctx.global.progress == "quiet";
      flags->tty = ctx.global.progress == "tty" || (ctx.global.progress == "auto" && ::isatty(STDERR_FILENO));
      ProjectRuntime(ctx.global.state(), p).build(*services, *flags);
      return 0;
    };
  });
});

}  // namespace
}  // namespace berth::cli
