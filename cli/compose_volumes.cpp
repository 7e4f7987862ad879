// berth volumes [SERVICE...]: the project's volumes (those its label names: named and
// anonymous), as docker compose volumes; with services, only those their containers mount.
#include <fmt/core.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "base/error.hpp"
#include "cli/compose_project.hpp"
#include "compose/orchestrate/labels.hpp"
#include "volumes/volume_store.hpp"

namespace berth::cli {
namespace {

using volumes::VolumeInfo;

// Docker's volume formatter: labels as one "k=v,k=v" string; what berth does not track is "N/A".
nlohmann::json to_json(const VolumeInfo& v) {
  std::string labels;
  for (const auto& [k, val] : v.labels) labels += (labels.empty() ? "" : ",") + k + "=" + val;
  return {{"Availability", "N/A"}, {"Driver", v.driver}, {"Group", "N/A"},   {"Labels", labels},
          {"Links", "N/A"},        {"Mountpoint", v.mountpoint.string()}, {"Name", v.name},
          {"Scope", "local"},      {"Size", "N/A"},      {"Status", "N/A"}};
}

int run_volumes(const Context& ctx, const std::vector<std::string>& services, const std::string& format, bool quiet) {
  compose::Project p = load_project_or_labels(ctx);
  if (!p.services.empty())
    for (const auto& s : services)
      if (!p.services.count(s)) throw UserError("no such service: " + s);
  volumes::VolumeStore store(ctx.global.state());
  std::vector<VolumeInfo> found;
  for (auto& v : store.list()) {
    auto it = v.labels.find(compose::orchestrate::kProjectLabel);
    if (it != v.labels.end() && it->second == p.name) found.push_back(std::move(v));
  }
  if (!services.empty()) {
    // What the services' containers (any state) mount, by the volume's host directory.
    std::set<std::string> mounted;
    compose::orchestrate::ProjectRuntime pr(ctx.global.state(), p);
    for (const auto& c : pr.containers(true, true)) {
      if (std::find(services.begin(), services.end(), c.labels.at(compose::orchestrate::kServiceLabel)) == services.end())
        continue;
      for (const auto& m : c.spec.mounts)
        if (m.type == engine::MountSpec::Type::VolumeDir) mounted.insert(m.source);
    }
    std::erase_if(found, [&](const VolumeInfo& v) { return !mounted.count(v.source().string()); });
  }
  if (quiet) {
    for (const auto& v : found) fmt::print("{}\n", v.name);
  } else if (format == "json") {
    for (const auto& v : found) fmt::print("{}\n", to_json(v).dump());
  } else {
    fmt::print("{:<10} {}\n", "DRIVER", "VOLUME NAME");
    for (const auto& v : found) fmt::print("{:<10} {}\n", v.driver, v.name);
  }
  return 0;
}

const CommandRegistration reg(30, {"volumes"}, [](CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("volumes", "List volumes");
  auto services = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>("table");
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_flag("-q,--quiet", *quiet, "Only display volume names");
  cmd->add_option("services", *services, "Services");
  cmd->callback([&ctx, services, format, quiet] {
    ctx.action = [&ctx, services, format, quiet] { return run_volumes(ctx, *services, *format, *quiet); };
  });
});

}  // namespace
}  // namespace berth::cli
