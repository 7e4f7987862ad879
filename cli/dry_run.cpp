#include "cli/dry_run.hpp"

#include <algorithm>
#include <set>

#include "cli/compose_project.hpp"
#include "compose/orchestrate/labels.hpp"
#include "compose/orchestrate/service_image.hpp"
#include "engine/image/image_store.hpp"
#include "network/network_manager.hpp"
#include "volumes/volume_store.hpp"

namespace berth::cli::dry_run {

using namespace compose::orchestrate;

namespace {

// Compose's prefix, so that a script or a reader tells a dry run from the real thing.
compose::orchestrate::Progress printer(const Context& ctx) {
  auto show = progress_printer(ctx);
  return [show](const std::string& object, const std::string& status) { show("DRY-RUN MODE -  " + object, status); };
}

bool wanted(const engine::ContainerInfo& c, const std::vector<std::string>& services) {
  auto it = c.labels.find(kServiceLabel);
  return services.empty() || (it != c.labels.end() && std::find(services.begin(), services.end(), it->second) != services.end());
}

}  // namespace

void up(const Context& ctx, const compose::Project& p, const UpOptions& o) {
  auto say = printer(ctx);
  const StatePaths paths = ctx.global.state();
  ProjectRuntime pr(paths, p);
  Plan plan = pr.plan_up(o);
  engine::ImageStore images(paths);
  std::set<std::string> seen;
  for (const auto& level : plan.levels)
    for (const auto& sp : level) {
      const compose::Service& s = p.services.at(sp.service);
      std::string ref = service_image(p, s);
      if (!seen.insert(ref).second) continue;
      bool have = images.find(ref).has_value();
      const std::string& policy = o.pull.empty() ? s.pull_policy : o.pull;
      if (s.build && !o.no_build && (o.build || policy == "build" || (!have && policy != "always")))
        say("Image " + ref, "Built");
      else if (policy == "always" || (!have && policy != "never"))
        say("Image " + ref, "Pulled");
    }
  network::NetworkManager networks(paths);
  for (const auto& key : plan.networks) {
    const compose::Network& n = p.networks.at(key);
    if (!n.external && !networks.find(n.name)) say("Network " + n.name, "Created");
  }
  volumes::VolumeStore volumes(paths);
  for (const auto& key : plan.volumes) {
    const compose::Volume& v = p.volumes.at(key);
    if (!v.external && !volumes.find(v.name)) say("Volume " + v.name, "Created");
  }
  for (const auto& level : plan.levels)
    for (const auto& sp : level)
      for (const auto& a : sp.containers) {
        std::string object = "Container " + a.name;
        switch (a.action) {
          case Action::Create: say(object, o.no_start ? "Created" : "Started"); break;
          case Action::Recreate: say(object, o.no_start ? "Recreated" : "Started"); break;
          case Action::Start: if (!o.no_start) say(object, "Started"); break;
          case Action::Noop: say(object, "Running"); break;
          case Action::Remove: say(object, "Removed"); break;
        }
      }
  for (const auto& c : plan.orphans)
    if (o.remove_orphans) say("Container " + c.name, "Removed");
}

void down(const Context& ctx, const compose::Project& p, const DownOptions& o) {
  auto say = printer(ctx);
  const StatePaths paths = ctx.global.state();
  ProjectRuntime pr(paths, p);
  const bool labels_only = p.files.empty() && p.services.empty();
  for (const auto& c : pr.containers(true, true)) {
    const std::string svc = c.labels.count(kServiceLabel) ? c.labels.at(kServiceLabel) : "";
    const bool oneoff = c.labels.count(kOneoffLabel) && c.labels.at(kOneoffLabel) == "True";
    if (!oneoff && !labels_only && !p.services.count(svc) && !p.disabled_services.count(svc) && !o.remove_orphans)
      continue;  // an orphan, kept without --remove-orphans
    if (c.running()) say("Container " + c.name, "Stopped");
    say("Container " + c.name, "Removed");
  }
  network::NetworkManager networks(paths);
  for (const auto& n : networks.list()) {
    auto it = n.labels.find(kProjectLabel);
    if (it != n.labels.end() && it->second == p.name) say("Network " + n.name, "Removed");
  }
  if (o.volumes) {
    volumes::VolumeStore volumes(paths);
    for (const auto& [key, v] : p.volumes)
      if (!v.external && volumes.find(v.name)) say("Volume " + v.name, "Removed");
  }
  if (o.rmi == "all" || o.rmi == "local") {
    engine::ImageStore images(paths);
    std::set<std::string> refs;
    for (const auto& [name, s] : p.services)
      if (o.rmi == "all" || (s.build && s.image.empty())) refs.insert(service_image(p, s));
    for (const auto& ref : refs)
      if (images.find(ref)) say("Image " + ref, "Removed");
  }
}

void containers(const Context& ctx, const compose::Project& p, const std::vector<std::string>& services,
                const std::string& command, bool stop_first) {
  auto say = printer(ctx);
  ProjectRuntime pr(ctx.global.state(), p);
  for (const auto& c : pr.containers(true, command == "rm")) {
    if (!wanted(c, services)) continue;
    bool running = c.running() || c.state == engine::ContainerState::Restarting;
    if (command == "start" && !running) say("Container " + c.name, "Started");
    if (command == "stop" && running) say("Container " + c.name, "Stopped");
    if (command == "kill" && running) say("Container " + c.name, "Killed");
    if (command == "restart") say("Container " + c.name, "Restarted");
    if (command == "rm" && (stop_first || !running)) say("Container " + c.name, "Removed");
  }
}

void pull(const Context& ctx, const std::vector<std::string>& refs) {
  auto say = printer(ctx);
  for (const auto& ref : refs) say("Image " + ref, "Pulled");
}

}  // namespace berth::cli::dry_run
