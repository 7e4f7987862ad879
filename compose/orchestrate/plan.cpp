#include "compose/orchestrate/plan.hpp"

#include <algorithm>

#include "base/error.hpp"

namespace berth::compose::orchestrate {

const char* to_string(Action a) {
  switch (a) {
    case Action::Create: return "create";
    case Action::Recreate: return "recreate";
    case Action::Start: return "start";
    case Action::Noop: return "noop";
    case Action::Remove: return "remove";
  }
  return "?";
}

bool Plan::noop(bool count_orphans) const {
  if (count_orphans && !orphans.empty()) return false;
  for (auto& level : levels)
    for (auto& sp : level)
      for (auto& c : sp.containers)
        if (c.action != Action::Noop) return false;
  return true;
}

const ServicePlan* Plan::find(const std::string& service) const {
  for (auto& level : levels)
    for (auto& sp : level)
      if (sp.service == service) return &sp;
  return nullptr;
}

int desired_replicas(const Service& s, const PlanOptions& opts) {
  if (auto it = opts.scale.find(s.name); it != opts.scale.end()) return it->second;
  if (s.scale) return static_cast<int>(*s.scale);
  if (s.deploy && s.deploy->replicas) return static_cast<int>(*s.deploy->replicas);
  return 1;
}

std::string container_name(const std::string& project, const Service& s, int number) {
  if (!s.container_name.empty()) return s.container_name;
  return project + "-" + s.name + "-" + std::to_string(number);
}

namespace {

bool selected(const PlanOptions& o, const std::string& s) { return o.services.empty() || o.services.count(s); }

std::vector<std::string> networks_of(const Service& s) {
  if (!s.network_mode.empty() && s.network_mode != "bridge") return {};
  if (s.networks.empty()) return {"default"};
  std::vector<std::string> out;
  for (auto& [k, _] : s.networks) out.push_back(k);
  return out;
}

ServicePlan plan_service(const Project& p, const Service& s, std::vector<const ActualContainer*> mine,
                         const PlanOptions& opts, RecreatePolicy policy, const std::string& changed_dep) {
  ServicePlan sp;
  sp.service = s.name;
  int want = desired_replicas(s, opts);
  if (want < 0) throw UserError("invalid scale " + std::to_string(want) + " for service " + s.name);
  if (want > 1 && !s.container_name.empty())
    throw UserError("service \"" + s.name + "\" has container_name \"" + s.container_name +
                    "\" and cannot be scaled to " + std::to_string(want) + " (container names must be unique)");
  auto hash_it = opts.hashes.find(s.name);
  const std::string want_hash = hash_it == opts.hashes.end() ? std::string() : hash_it->second;
  // Keep the lowest numbers (and running ones first among equals); remove the rest.
  std::sort(mine.begin(), mine.end(), [](auto* a, auto* b) {
    return a->number != b->number ? a->number < b->number : a->running > b->running;
  });
  std::set<int> used;
  int kept = 0;
  for (auto* c : mine) {
    ContainerAction a;
    a.service = s.name;
    a.number = c->number;
    a.name = c->name;
    a.existing_id = c->id;
    if (kept >= want || used.count(c->number)) {
      a.action = Action::Remove;
      a.reason = kept >= want ? "scale down" : "duplicate number";
    } else {
      ++kept;
      used.insert(c->number);
      bool diverged = !want_hash.empty() && c->config_hash != want_hash;
      if (policy == RecreatePolicy::Force) {
        a.action = Action::Recreate;
        a.reason = "forced";
      } else if (policy == RecreatePolicy::Diverged && diverged) {
        a.action = Action::Recreate;
        a.reason = "config changed";
      } else if (policy == RecreatePolicy::Diverged && !changed_dep.empty()) {
        a.action = Action::Recreate;
        a.reason = "dependency " + changed_dep + " changed";
      } else {
        a.action = c->running ? Action::Noop : Action::Start;
      }
      if (a.action == Action::Recreate) a.name = container_name(p.name, s, c->number);
    }
    sp.containers.push_back(std::move(a));
  }
  for (int n = 1; kept < want; ++n) {
    if (used.count(n)) continue;
    ContainerAction a;
    a.action = Action::Create;
    a.service = s.name;
    a.number = n;
    a.name = container_name(p.name, s, n);
    a.reason = "missing";
    used.insert(n);
    ++kept;
    sp.containers.push_back(std::move(a));
  }
  std::sort(sp.containers.begin(), sp.containers.end(),
            [](auto& a, auto& b) { return a.number != b.number ? a.number < b.number : a.action < b.action; });
  return sp;
}

}  // namespace

Plan convergence_plan(const Project& project, const DependencyGraph& graph,
                      const std::vector<ActualContainer>& actual, const PlanOptions& opts) {
  for (auto& [name, n] : opts.scale) {
    if (!project.find_service(name)) throw UserError("no such service: " + name + " (in --scale)");
    if (n < 0) throw UserError("invalid scale " + std::to_string(n) + " for service " + name);
  }
  std::map<std::string, std::vector<const ActualContainer*>> by_service;
  Plan plan;
  for (auto& c : actual) {
    if (c.oneoff) continue;
    if (project.services.count(c.service))
      by_service[c.service].push_back(&c);
    else if (!project.disabled_services.count(c.service))
      plan.orphans.push_back(c);
  }
  std::set<std::string> nets, vols;
  std::set<std::string> changed;  // services whose containers are (re)created by this plan
  for (auto& level : graph.start_levels()) {
    std::vector<ServicePlan> out;
    for (auto& name : level) {
      if (!selected(opts, name)) continue;
      const Service& s = project.services.at(name);
      bool named = opts.named.empty() || opts.named.count(name);
      RecreatePolicy policy = named ? opts.recreate : opts.recreate_dependencies;
      if (opts.recreate == RecreatePolicy::Never) policy = RecreatePolicy::Never;
      std::string changed_dep;
      for (auto& d : graph.dependencies(name))
        if (changed.count(d)) {
          changed_dep = d;
          break;
        }
      auto sp = plan_service(project, s, by_service[name], opts, policy, changed_dep);
      for (auto& c : sp.containers)
        if (c.action == Action::Create || c.action == Action::Recreate) changed.insert(name);
      for (auto& n : networks_of(s)) nets.insert(n);
      for (auto& v : s.volumes)
        if (v.type == VolumeType::Volume && !v.source.empty() && project.volumes.count(v.source)) vols.insert(v.source);
      out.push_back(std::move(sp));
    }
    if (!out.empty()) plan.levels.push_back(std::move(out));
  }
  plan.networks.assign(nets.begin(), nets.end());
  plan.volumes.assign(vols.begin(), vols.end());
  std::sort(plan.orphans.begin(), plan.orphans.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return plan;
}

}  // namespace berth::compose::orchestrate
