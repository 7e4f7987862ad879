// berth scale SERVICE=N...: as docker compose scale, the services' replicas set to N with the
// planner of `up --scale` (fewer: the highest numbers go; more: new ones are created and
// started), their dependencies started too unless --no-deps.
#include <fmt/core.h>

#include "base/error.hpp"
#include "cli/compose_project.hpp"

namespace berth::cli {
namespace {

int run_scale(const Context& ctx, const std::vector<std::string>& pairs, bool no_deps) {
  std::map<std::string, int> scale;
  for (const auto& v : pairs) {
    size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == v.size() ||
        v.find_first_not_of("0123456789", eq + 1) != std::string::npos || v.size() - eq > 7)
      throw UserError("invalid scale specifier \"" + v + "\": expected SERVICE=NUM");
    scale[v.substr(0, eq)] = std::stoi(v.substr(eq + 1));
  }
  std::vector<std::string> services;
  for (const auto& [s, n] : scale) services.push_back(s);
  compose::Project p = load_project(ctx, services);
  for (const auto& s : services)
    if (!p.services.count(s)) throw UserError("no such service: " + s);
  compose::orchestrate::UpOptions o;
  o.services = services;
  o.no_deps = no_deps;
  o.scale = scale;
  o.parallel = ctx.global.parallel;
  compose::orchestrate::ProjectRuntime pr(ctx.global.state(), p, progress_printer(ctx));
  if (!pr.up(o)) fmt::print(stderr, "Project {} is up to date: nothing to do\n", p.name);
  return 0;
}

const CommandRegistration reg(29, {"scale"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("scale", "Scale services");
  auto pairs = std::make_shared<std::vector<std::string>>();
  auto no_deps = std::make_shared<bool>(false);
  cmd->add_flag("--no-deps", *no_deps, "Don't start linked services");
  cmd->add_option("services", *pairs, "SERVICE=REPLICAS")->required();
  cmd->callback([&ctx, pairs, no_deps] {
    ctx.action = [&ctx, pairs, no_deps] { return run_scale(ctx, *pairs, *no_deps); };
  });
});

}  // namespace
}  // namespace berth::cli
