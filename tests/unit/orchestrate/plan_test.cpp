#include <gtest/gtest.h>

#include "base/error.hpp"
#include "compose/orchestrate/plan.hpp"

using namespace berth::compose;
using namespace berth::compose::orchestrate;

namespace {

Project project(std::initializer_list<std::pair<const char*, std::vector<std::string>>> deps) {
  Project p;
  p.name = "proj";
  for (auto& [n, ds] : deps) {
    Service s;
    s.name = n;
    for (auto& d : ds) s.depends_on[d] = {};
    p.services[n] = s;
  }
  return p;
}

ActualContainer running(const std::string& service, int n, const std::string& hash = "h") {
  ActualContainer c;
  c.id = service + "-id-" + std::to_string(n);
  c.name = "proj-" + service + "-" + std::to_string(n);
  c.service = service;
  c.number = n;
  c.config_hash = hash;
  c.running = true;
  c.state = "running";
  return c;
}

PlanOptions hashes(const Project& p, const std::string& h = "h") {
  PlanOptions o;
  for (auto& [n, _] : p.services) o.hashes[n] = h;
  return o;
}

std::vector<Action> actions(const Plan& plan, const std::string& service) {
  std::vector<Action> out;
  auto* sp = plan.find(service);
  if (sp)
    for (auto& c : sp->containers) out.push_back(c.action);
  return out;
}

}  // namespace

TEST(Plan, FreshProjectCreatesEverythingInDependencyOrder) {
  auto p = project({{"web", {"db"}}, {"db", {}}});
  DependencyGraph g(p);
  auto plan = convergence_plan(p, g, {}, hashes(p));
  ASSERT_EQ(plan.levels.size(), 2u);
  EXPECT_EQ(plan.levels[0][0].service, "db");
  EXPECT_EQ(plan.levels[1][0].service, "web");
  EXPECT_EQ(actions(plan, "web"), std::vector<Action>{Action::Create});
  EXPECT_EQ(plan.find("web")->containers[0].name, "proj-web-1");
  EXPECT_EQ(plan.networks, std::vector<std::string>{"default"});
  EXPECT_FALSE(plan.noop(false));
}

TEST(Plan, NothingChangedIsANoop) {
  auto p = project({{"web", {"db"}}, {"db", {}}});
  DependencyGraph g(p);
  auto plan = convergence_plan(p, g, {running("web", 1), running("db", 1)}, hashes(p));
  EXPECT_TRUE(plan.noop(true));
  EXPECT_EQ(actions(plan, "db"), std::vector<Action>{Action::Noop});
}

TEST(Plan, StoppedContainersAreStarted) {
  auto p = project({{"web", {}}});
  auto c = running("web", 1);
  c.running = false;
  c.state = "exited";
  auto plan = convergence_plan(p, DependencyGraph(p), {c}, hashes(p));
  EXPECT_EQ(actions(plan, "web"), std::vector<Action>{Action::Start});
  EXPECT_EQ(plan.find("web")->containers[0].existing_id, "web-id-1");
}

TEST(Plan, ChangedConfigRecreatesTheServiceAndItsDependents) {
  auto p = project({{"web", {"db"}}, {"db", {}}, {"other", {}}});
  auto o = hashes(p);
  o.hashes["db"] = "new";
  auto plan = convergence_plan(p, DependencyGraph(p), {running("web", 1), running("db", 1), running("other", 1)}, o);
  EXPECT_EQ(actions(plan, "db"), std::vector<Action>{Action::Recreate});
  EXPECT_EQ(plan.find("db")->containers[0].reason, "config changed");
  EXPECT_EQ(actions(plan, "web"), std::vector<Action>{Action::Recreate});
  EXPECT_EQ(plan.find("web")->containers[0].reason, "dependency db changed");
  EXPECT_EQ(actions(plan, "other"), std::vector<Action>{Action::Noop});
}

TEST(Plan, NoRecreateAndForceRecreate) {
  auto p = project({{"web", {}}});
  auto o = hashes(p, "new");
  o.recreate = RecreatePolicy::Never;
  auto never = convergence_plan(p, DependencyGraph(p), {running("web", 1, "old")}, o);
  EXPECT_EQ(actions(never, "web"), std::vector<Action>{Action::Noop});
  o = hashes(p);
  o.recreate = RecreatePolicy::Force;
  auto force = convergence_plan(p, DependencyGraph(p), {running("web", 1)}, o);
  EXPECT_EQ(actions(force, "web"), std::vector<Action>{Action::Recreate});
}

TEST(Plan, ForceRecreateOnlyNamedServicesDependenciesByTheirOwnPolicy) {
  auto p = project({{"web", {"db"}}, {"db", {}}});
  auto o = hashes(p);
  o.recreate = RecreatePolicy::Force;
  o.named = {"web"};
  auto plan = convergence_plan(p, DependencyGraph(p), {running("web", 1), running("db", 1)}, o);
  EXPECT_EQ(actions(plan, "db"), std::vector<Action>{Action::Noop});
  EXPECT_EQ(actions(plan, "web"), std::vector<Action>{Action::Recreate});
}

TEST(Plan, ScaleUpFillsGapsAndScaleDownRemovesHighestNumbers) {
  auto p = project({{"worker", {}}});
  auto o = hashes(p);
  o.scale["worker"] = 3;
  auto up = convergence_plan(p, DependencyGraph(p), {running("worker", 2)}, o);
  auto* sp = up.find("worker");
  ASSERT_EQ(sp->containers.size(), 3u);
  EXPECT_EQ(sp->containers[0].number, 1);
  EXPECT_EQ(sp->containers[0].action, Action::Create);
  EXPECT_EQ(sp->containers[1].number, 2);
  EXPECT_EQ(sp->containers[1].action, Action::Noop);
  EXPECT_EQ(sp->containers[2].number, 3);
  EXPECT_EQ(sp->containers[2].name, "proj-worker-3");
  o.scale["worker"] = 1;
  auto down = convergence_plan(p, DependencyGraph(p), {running("worker", 1), running("worker", 2), running("worker", 3)}, o);
  EXPECT_EQ(actions(down, "worker"), (std::vector<Action>{Action::Noop, Action::Remove, Action::Remove}));
}

TEST(Plan, ReplicasFromScaleOrDeploy) {
  auto p = project({{"a", {}}, {"b", {}}});
  p.services["a"].scale = 2;
  p.services["b"].deploy = Deploy{};
  p.services["b"].deploy->replicas = 3;
  auto plan = convergence_plan(p, DependencyGraph(p), {}, hashes(p));
  EXPECT_EQ(plan.find("a")->containers.size(), 2u);
  EXPECT_EQ(plan.find("b")->containers.size(), 3u);
  auto o = hashes(p);
  o.scale["b"] = 0;
  EXPECT_TRUE(convergence_plan(p, DependencyGraph(p), {}, o).find("b")->containers.empty());
}

TEST(Plan, ContainerNameCannotBeScaled) {
  auto p = project({{"web", {}}});
  p.services["web"].container_name = "fixed";
  auto plan = convergence_plan(p, DependencyGraph(p), {}, hashes(p));
  EXPECT_EQ(plan.find("web")->containers[0].name, "fixed");
  auto o = hashes(p);
  o.scale["web"] = 2;
  EXPECT_THROW(convergence_plan(p, DependencyGraph(p), {}, o), berth::UserError);
  o.scale.clear();
  o.scale["nope"] = 2;
  EXPECT_THROW(convergence_plan(p, DependencyGraph(p), {}, o), berth::UserError);
}

TEST(Plan, OrphansAndOneoffs) {
  auto p = project({{"web", {}}});
  Service disabled;
  disabled.name = "debug";
  p.disabled_services["debug"] = disabled;
  auto oneoff = running("web", 1);
  oneoff.oneoff = true;
  oneoff.id = "run-id";
  auto plan = convergence_plan(p, DependencyGraph(p), {running("old", 1), running("debug", 1), oneoff}, hashes(p));
  ASSERT_EQ(plan.orphans.size(), 1u);
  EXPECT_EQ(plan.orphans[0].service, "old");
  EXPECT_EQ(actions(plan, "web"), std::vector<Action>{Action::Create});  // the one-off is not a replica
  EXPECT_FALSE(plan.noop(true));
}

TEST(Plan, SelectionLeavesOtherServicesAlone) {
  auto p = project({{"web", {"db"}}, {"db", {}}, {"other", {}}});
  auto o = hashes(p);
  o.services = {"web"};  // --no-deps web
  auto plan = convergence_plan(p, DependencyGraph(p), {}, o);
  EXPECT_EQ(plan.find("db"), nullptr);
  EXPECT_EQ(plan.find("other"), nullptr);
  EXPECT_EQ(actions(plan, "web"), std::vector<Action>{Action::Create});
}

TEST(Plan, NetworksAndVolumesOfSelectedServices) {
  auto p = project({{"web", {}}, {"host", {}}});
  p.services["web"].networks["front"] = {};
  p.services["web"].networks["back"] = {};
  ServiceVolume v;
  v.type = VolumeType::Volume;
  v.source = "data";
  v.target = "/data";
  p.services["web"].volumes.push_back(v);
  p.volumes["data"] = Volume{"data", "proj_data"};
  p.services["host"].network_mode = "host";
  auto plan = convergence_plan(p, DependencyGraph(p), {}, hashes(p));
  EXPECT_EQ(plan.networks, (std::vector<std::string>{"back", "front"}));
  EXPECT_EQ(plan.volumes, std::vector<std::string>{"data"});
}
