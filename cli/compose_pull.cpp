// berth pull: the images of the project's services, in parallel.
#include <algorithm>

#include "cli/compose_project.hpp"
#include "cli/dry_run.hpp"

namespace berth::cli {
namespace {

const CommandRegistration reg(15, {"pull"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("pull", "Pull the images of the project's services");
  auto services = std::make_shared<std::vector<std::string>>();
  auto ignore = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  cmd->add_flag("--ignore-pull-failures", *ignore, "Pull what can be pulled and ignore the failures");
  cmd->add_flag("-q,--quiet", *quiet, "Print nothing but errors");
  cmd->add_option("services", *services, "Services");
  cmd->callback([&ctx, services, ignore, quiet] {
    ctx.action = [&ctx, services, ignore, quiet] {
      compose::Project p = load_project(ctx, *services);
      std::vector<std::string> refs;
      for (const auto& [name, s] : p.services) {
        if (!services->empty() && std::find(services->begin(), services->end(), name) == services->end()) continue;
        if (s.image.empty() || s.pull_policy == "never" || s.pull_policy == "build") continue;
        if (std::find(refs.begin(), refs.end(), s.image) == refs.end()) refs.push_back(s.image);
      }
      if (ctx.global.dry_run) return dry_run::pull(ctx, refs), 0;
      compose::orchestrate::ProjectRuntime pr(ctx.global.state(), p, *quiet ? compose::orchestrate::Progress{} : progress_printer(ctx));
      pr.pull_images(refs, ctx.global.parallel, false, *ignore);
      return 0;
    };
  });
});

}  // namespace
}  // namespace berth::cli
