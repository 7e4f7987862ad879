// `berth cp [--index N] SERVICE:PATH DEST` / `SRC SERVICE:PATH`: container cp on a service's
// replica (the first one unless --index).
#include "cli/command.hpp"
#include "cli/compose_project.hpp"
#include "cli/copy_command.hpp"
#include "compose/orchestrate/labels.hpp"
#include "base/error.hpp"

namespace berth::cli {
namespace {

const CommandRegistration reg(25, {"cp"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("cp", "Copy files between a service container and the host");
  auto f = std::make_shared<CopyFlags>();
  auto index = std::make_shared<int>(1);
  cmd->add_option("src", f->src, "SERVICE:PATH, a host path, or -")->required();
  cmd->add_option("dest", f->dest, "SERVICE:PATH, a host path, or -")->required();
  cmd->add_flag("-a,--archive", f->archive, "Keep uid/gid");
  cmd->add_flag("-L,--follow-link", f->follow_link, "Follow a symlink given as SRC");
  cmd->add_option("--index", *index, "Replica number of the service");
  cmd->callback([&ctx, f, index] {
    ctx.action = [&ctx, f, index] {
      compose::Project p = load_project(ctx);
      compose::orchestrate::ProjectRuntime pr(ctx.global.state(), p);
      return run_copy(*f, [&](const std::string& service) {
        for (const auto& c : pr.containers(true)) {
          auto s = c.labels.find(compose::orchestrate::kServiceLabel);
          auto n = c.labels.find(compose::orchestrate::kNumberLabel);
          if (s != c.labels.end() && s->second == service && n != c.labels.end() && n->second == std::to_string(*index))
            return c;
        }
        throw UserError("service \"" + service + "\" has no container " + std::to_string(*index) + " (see 'berth ps -a')");
      });
    };
  });
});

}  // namespace
}  // namespace berth::cli
