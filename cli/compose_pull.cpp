// berth pull: the images of the project's services, in parallel, as compose pulls them: a
// service's pull_policy (never/build: not pulled; missing: only when not in the store), or the
// one --policy gives every service; named services alone unless --include-deps.
#include <algorithm>

#include "base/error.hpp"
#include "cli/compose_project.hpp"
#include "cli/dry_run.hpp"
#include "compose/graph.hpp"
#include "engine/image/image_store.hpp"

namespace berth::cli {
namespace {

struct PullFlags {
  std::vector<std::string> services;
  bool ignore = false, quiet = false, include_deps = false;
  std::string policy;
};

int run_pull(const Context& ctx, const PullFlags& f) {
  if (!f.policy.empty() && f.policy != "missing" && f.policy != "always")
    throw UserError("--policy: invalid pull policy \"" + f.policy + "\" (missing or always)");
  compose::Project p = load_project(ctx, f.services);
  std::set<std::string> chosen;
  if (!f.services.empty()) {
    for (const auto& s : f.services)
      if (!p.services.count(s)) throw UserError("no such service: " + s);
    chosen = f.include_deps ? compose::DependencyGraph(p).select(f.services, true)
                            : std::set<std::string>(f.services.begin(), f.services.end());
  }
  engine::ImageStore store(ctx.global.state());
  std::vector<std::string> refs;
  for (const auto& [name, s] : p.services) {
    if (!chosen.empty() && !chosen.count(name)) continue;
    if (s.image.empty()) continue;
    std::string policy = f.policy.empty() ? s.pull_policy : f.policy;
    if (policy == "never" || policy == "build") continue;
    if ((policy == "missing" || policy == "if_not_present") && store.find(s.image)) continue;
    if (std::find(refs.begin(), refs.end(), s.image) == refs.end()) refs.push_back(s.image);
  }
  if (ctx.global.dry_run) {
    dry_run::pull(ctx, refs);
    return 0;
  }
  compose::orchestrate::ProjectRuntime pr(ctx.global.state(), p,
                                          f.quiet ? compose::orchestrate::Progress{} : progress_printer(ctx));
  pr.pull_images(refs, ctx.global.parallel, false, f.ignore);
  return 0;
}

const CommandRegistration reg(15, {"pull"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("pull", "Pull the images of the project's services");
  auto f = std::make_shared<PullFlags>();
  cmd->add_flag("--ignore-pull-failures", f->ignore, "Pull what can be pulled and ignore the failures");
  cmd->add_flag("-q,--quiet", f->quiet, "Print nothing but errors");
  cmd->add_flag("--include-deps", f->include_deps, "Also pull the images of the services they depend on");
  cmd->add_option("--policy", f->policy, "missing (only images not here yet) or always");
  cmd->add_option("services", f->services, "Services");
  cmd->callback([&ctx, f] { ctx.action = [&ctx, f] { return run_pull(ctx, *f); }; });
});

}  // namespace
}  // namespace berth::cli
