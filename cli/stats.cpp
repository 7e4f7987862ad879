// berth container stats and berth stats (the project's containers): live resource usage.
#include <algorithm>

#include "base/error.hpp"
#include "cli/command.hpp"
#include "cli/compose_project.hpp"
#include "cli/stats_view.hpp"
#include "compose/orchestrate/labels.hpp"

namespace berth::cli {
namespace {

using engine::ContainerInfo;
using engine::Runtime;

void add_stats_flags(CLI::App* cmd, StatsOptions& o, bool& all) {
  cmd->add_flag("-a,--all", all, "Show all containers (default shows just running)");
  cmd->add_flag("--no-stream", o.no_stream, "Print one table and exit");
  cmd->add_flag("--no-trunc", o.no_trunc, "Do not truncate ids");
  cmd->add_option("--format", o.format, "table, json, or a template such as \"table {{.Name}}\\t{{.CPUPerc}}\"");
}

const CommandRegistration container_reg(301, {"container"}, [](CLI::App& app, Context& ctx) {
  CLI::App* c = command_group(app, "container", "Manage single containers");
  auto o = std::make_shared<StatsOptions>();
  auto all = std::make_shared<bool>(false);
  auto names = std::make_shared<std::vector<std::string>>();
  auto* cmd = c->add_subcommand("stats", "Display a live stream of containers' resource usage");
  add_stats_flags(cmd, *o, *all);
  cmd->add_option("containers", *names, "Names or ids (default: every running container)");
  cmd->callback([&ctx, o, all, names] {
    ctx.action = [&ctx, o, all, names] {
      check_stats_format(o->format);
      Runtime rt(ctx.global.state());
      for (const auto& n : *names) rt.inspect(n);  // an unknown name fails before any output
      return show_stats(rt, [&rt, all, names] {
        std::vector<ContainerInfo> out;
        if (!names->empty()) {
          for (const auto& n : *names) out.push_back(rt.inspect(n));
          return out;
        }
        for (auto& i : rt.list())
          if (*all || i.running()) out.push_back(std::move(i));
        return out;
      }, *o);
    };
  });
});

const CommandRegistration compose_reg(27, {"stats"}, [](CLI::App& app, Context& ctx) {
  auto o = std::make_shared<StatsOptions>();
  auto all = std::make_shared<bool>(false);
  auto services = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("stats", "Display a live stream of the project's resource usage");
  add_stats_flags(cmd, *o, *all);
  cmd->add_option("services", *services, "Services (default: all)");
  cmd->callback([&ctx, o, all, services] {
    ctx.action = [&ctx, o, all, services] {
      check_stats_format(o->format);
      compose::Project p = load_project(ctx);
      for (const auto& s : *services)
        if (!p.services.count(s)) throw UserError("no such service: " + s);
      compose::orchestrate::ProjectRuntime pr(ctx.global.state(), p);
      return show_stats(pr.runtime(), [&pr, all, services] {
        std::vector<ContainerInfo> out;
        for (auto& c : pr.containers(*all)) {
          const auto& svc = c.labels.at(compose::orchestrate::kServiceLabel);
          if (services->empty() || std::find(services->begin(), services->end(), svc) != services->end())
            out.push_back(std::move(c));
        }
        return out;
      }, *o);
    };
  });
});

}  // namespace
}  // namespace berth::cli
