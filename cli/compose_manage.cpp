// berth create / rm / pause / unpause / top: the project's containers one step at a time.
#include <fmt/core.h>

#include <algorithm>

#include "base/error.hpp"
#include "cli/compose_project.hpp"
#include "cli/dry_run.hpp"
#include "cli/project_options.hpp"
#include "compose/orchestrate/labels.hpp"

namespace berth::cli {
namespace {

using compose::orchestrate::ProjectRuntime;

const CommandRegistration create_reg(13, {"create"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("create", "Create containers for services without starting them");
  auto services = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto no_recreate = std::make_shared<bool>(false);
  auto remove_orphans = std::make_shared<bool>(false);
  auto scale = std::make_shared<std::vector<std::string>>();
  cmd->add_flag("--force-recreate", *force, "Recreate containers even if nothing changed");
  cmd->add_flag("--no-recreate", *no_recreate, "Don't recreate existing containers");
  cmd->add_flag("--remove-orphans", *remove_orphans, "Remove containers of services not in the project file");
  cmd->add_option("--scale", *scale, "SERVICE=NUM replicas");
  cmd->add_option("services", *services, "Services");
  cmd->callback([&ctx, services, force, no_recreate, remove_orphans, scale] {
    ctx.action = [&ctx, services, force, no_recreate, remove_orphans, scale] {
      if (*force && *no_recreate) throw UserError("--force-recreate and --no-recreate are incompatible");
      compose::Project p = load_project(ctx, *services);
      compose::orchestrate::UpOptions o;
      o.services = *services;
      o.no_start = true;
      o.remove_orphans = *remove_orphans || compose_env_bool("COMPOSE_REMOVE_ORPHANS").value_or(false);
      o.ignore_orphans = compose_env_bool("COMPOSE_IGNORE_ORPHANS").value_or(false);
      o.parallel = ctx.global.parallel;
      o.recreate = *force ? compose::orchestrate::RecreatePolicy::Force
                   : *no_recreate ? compose::orchestrate::RecreatePolicy::Never
                                  : compose::orchestrate::RecreatePolicy::Diverged;
      o.scale = parse_scale(*scale);
      if (ctx.global.dry_run) {
        dry_run::up(ctx, p, o);
        return 0;
      }
      if (!ProjectRuntime(ctx.global.state(), p, progress_printer(ctx)).up(o))
        fmt::print(stderr, "Project {} is up to date: nothing to do\n", p.name);
      return 0;
    };
  });
});

const CommandRegistration rm_reg(14, {"rm"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("rm", "Remove stopped service containers");
  auto services = std::make_shared<std::vector<std::string>>();
  auto stop = std::make_shared<bool>(false);
  auto volumes = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("-f,--force", *force, "Don't ask to confirm removal (berth never asks)");
  cmd->add_flag("-s,--stop", *stop, "Stop the containers first if needed");
  cmd->add_flag("-v,--volumes", *volumes, "Remove the containers' anonymous volumes");
  cmd->add_option("services", *services, "Services");
  cmd->callback([&ctx, services, stop, volumes] {
    ctx.action = [&ctx, services, stop, volumes] {
      compose::Project p = load_project_or_labels(ctx);
      if (ctx.global.dry_run) {
        dry_run::containers(ctx, p, *services, "rm", *stop);
        return 0;
      }
      auto removed = ProjectRuntime(ctx.global.state(), p, progress_printer(ctx)).remove(*services, *stop, *volumes, std::nullopt);
      if (removed.empty()) fmt::print(stderr, "No stopped containers\n");
      return 0;
    };
  });
});

const CommandRegistration pause_reg(15, {"pause", "unpause"}, [](CLI::App& app, Context& ctx) {
  auto services = std::make_shared<std::vector<std::string>>();
  auto* pause = app.add_subcommand("pause", "Pause services");
  pause->add_option("services", *services, "Services");
  pause->callback([&ctx, services] {
    ctx.action = [&ctx, services] {
      compose::Project p = load_project(ctx);
      ProjectRuntime(ctx.global.state(), p, progress_printer(ctx)).pause(*services);
      return 0;
    };
  });
  auto* unpause = app.add_subcommand("unpause", "Unpause services");
  unpause->add_option("services", *services, "Services");
  unpause->callback([&ctx, services] {
    ctx.action = [&ctx, services] {
      compose::Project p = load_project(ctx);
      ProjectRuntime(ctx.global.state(), p, progress_printer(ctx)).unpause(*services);
      return 0;
    };
  });
});

const CommandRegistration top_reg(26, {"top"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("top", "Display the running processes of the project's containers");
  auto services = std::make_shared<std::vector<std::string>>();
  cmd->add_option("services", *services, "Services");
  cmd->callback([&ctx, services] {
    ctx.action = [&ctx, services] {
      compose::Project p = load_project(ctx);
      ProjectRuntime pr(ctx.global.state(), p);
      bool first = true;
      for (const auto& c : pr.containers(false)) {
        const auto& svc = c.labels.at(compose::orchestrate::kServiceLabel);
        if (!services->empty() && std::find(services->begin(), services->end(), svc) == services->end()) continue;
        fmt::print("{}{}\n", first ? "" : "\n", c.name);
        first = false;
        for (const auto& row : pr.runtime().top(c.id)) {
          std::string line;
          for (std::size_t i = 0; i < row.size(); ++i) line += (i ? "  " : "") + row[i];
          fmt::print("{}\n", line);
        }
      }
      return 0;
    };
  });
});

}  // namespace
}  // namespace berth::cli
