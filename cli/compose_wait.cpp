// berth wait [SERVICE...]: blocks until the (named) services' running containers have stopped, as docker
// compose wait: one line per container as it exits, berth's exit code the last one's code;
// --down-project takes the project down (orphans too) once they all have.
#include <fmt/core.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "base/error.hpp"
#include "cli/compose_project.hpp"
#include "compose/orchestrate/labels.hpp"

namespace berth::cli {
namespace {

using compose::orchestrate::ProjectRuntime;

int run_wait(const Context& ctx, const std::vector<std::string>& services, bool down_project) {
  compose::Project p = load_project_or_labels(ctx);
  if (!p.services.empty())
    for (const auto& s : services)
      if (!p.services.count(s)) throw UserError("no such service: " + s);
  ProjectRuntime pr(ctx.global.state(), p);
  std::vector<engine::ContainerInfo> waited;
  for (auto& c : pr.containers(false, true)) {
    const auto& svc = c.labels.at(compose::orchestrate::kServiceLabel);
    if (services.empty() || std::find(services.begin(), services.end(), svc) != services.end())
      waited.push_back(std::move(c));
  }
  if (waited.empty()) throw UserError("no containers for project \"" + p.name + "\"");
  std::mutex mu;
  int last_code = 0;
  std::string failure;
  std::vector<std::thread> threads;
  for (const auto& c : waited)
    threads.emplace_back([&, id = c.id] {
      try {
        int rc = pr.runtime().wait(id);
        std::lock_guard lock(mu);
        fmt::print("container \"{}\" exited with status code {}\n", id, rc);
        std::fflush(stdout);
        last_code = rc;
      } catch (const std::exception& e) {  // removed meanwhile: compose fails the command
        std::lock_guard lock(mu);
        if (failure.empty()) failure = describe(e);
      }
    });
  for (auto& t : threads) t.join();
  if (!failure.empty()) throw UserError(failure);
  if (down_project) {
    ProjectRuntime down(ctx.global.state(), p, progress_printer(ctx));
    compose::orchestrate::DownOptions o;
    o.remove_orphans = true;
    down.down(o);
  }
  return last_code;
}

const CommandRegistration reg(28, {"wait"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("wait", "Block until containers of all (or specified) services stop");
  auto services = std::make_shared<std::vector<std::string>>();
  auto down_project = std::make_shared<bool>(false);
  cmd->add_flag("--down-project", *down_project, "Drops the project when the first container stops");
  cmd->add_option("services", *services, "Services (default: all)");
  cmd->callback([&ctx, services, down_project] {
    ctx.action = [&ctx, services, down_project] { return run_wait(ctx, *services, *down_project); };
  });
});

}  // namespace
}  // namespace berth::cli
