// berth push [SERVICE...]: the images of services that have both `image:` and `build:` (and
// their build.tags) pushed to the registries they name with the registry client, as docker
// compose push; other services are skipped. --include-deps adds the named services'
// dependencies; --ignore-push-failures reports a failed push and goes on.
#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "base/error.hpp"
#include "cli/compose_project.hpp"
#include "engine/image/image_store.hpp"
#include "engine/registry/registry.hpp"

namespace berth::cli {
namespace {

// The named services and (with deps) everything they depend on; every service when none is named.
std::vector<std::string> selected(const compose::Project& p, const std::vector<std::string>& names, bool deps) {
  if (names.empty()) {
    std::vector<std::string> all;
    for (const auto& [n, s] : p.services) all.push_back(n);
    return all;
  }
  std::set<std::string> seen;
  std::vector<std::string> todo = names, out;
  while (!todo.empty()) {
    std::string n = todo.back();
    todo.pop_back();
    const compose::Service* s = p.find_service(n);
    if (!s) throw UserError("no such service: " + n);
    if (!seen.insert(n).second) continue;
    out.push_back(n);
    if (deps)
      for (const auto& [d, dep] : s->depends_on) todo.push_back(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

int run_push(const Context& ctx, const std::vector<std::string>& names, bool include_deps, bool ignore_failures,
             bool quiet) {
  compose::Project p = load_project(ctx, names);
  auto progress = quiet ? compose::orchestrate::Progress{} : progress_printer(ctx);
  engine::ImageStore store(ctx.global.state());
  engine::PushOptions opts;
  opts.registry.state_root = ctx.global.state().root;
  if (const char* ca = std::getenv("BERTH_REGISTRY_CA"); ca && *ca) opts.registry.ca_files.emplace_back(ca);
  std::set<std::string> pushed;
  for (const auto& name : selected(p, names, include_deps)) {
    const compose::Service& s = p.services.at(name);
    if (!s.build || s.image.empty()) {
      if (progress) progress("Service " + name, "Skipped");
      continue;
    }
    std::vector<std::string> refs{s.image};
    refs.insert(refs.end(), s.build->tags.begin(), s.build->tags.end());
    for (const auto& ref : refs) {
      if (!pushed.insert(ref).second) continue;  // two services building one image push it once
      try {
        if (progress) progress("Image " + ref, "Pushing");
        engine::push_image(store, ref, opts);
        if (progress) progress("Image " + ref, "Pushed");
      } catch (const std::exception& e) {
        if (!ignore_failures) throw;
        if (progress) progress("Image " + ref, "Error");
        fmt::print(stderr, "Pushing {}: {}\n", name, describe(e));
      }
    }
  }
  return 0;
}

const CommandRegistration reg(16, {"push"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("push", "Push service images");
  auto services = std::make_shared<std::vector<std::string>>();
  auto ignore = std::make_shared<bool>(false);
  auto deps = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  cmd->add_flag("--ignore-push-failures", *ignore, "Push what it can and ignore images with failures");
  cmd->add_flag("--include-deps", *deps, "Also push images of services declared as dependencies");
  cmd->add_flag("-q,--quiet", *quiet, "Push without printing progress information");
  cmd->add_option("services", *services, "Services");
  cmd->callback([&ctx, services, ignore, deps, quiet] {
    ctx.action = [&ctx, services, ignore, deps, quiet] { return run_push(ctx, *services, *deps, *ignore, *quiet); };
  });
});

}  // namespace
}  // namespace berth::cli
