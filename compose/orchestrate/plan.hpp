#pragma once
// The convergence planner (compose 1.3 `convergence_plan`, ANCHORS §2.1): the desired project and
// the containers found by label go in, a plan of actions comes out. Pure: no runtime, no root;
// applying the plan is apply.hpp's job.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compose/graph.hpp"
#include "compose/model.hpp"

namespace berth::compose::orchestrate {

// A container of the project as the runtime reports it (read from its labels).
struct ActualContainer {
  std::string id;
  std::string name;
  std::string service;
  int number = 0;
  std::string config_hash;
  bool oneoff = false;
  bool running = false;   // running or paused
  std::string state;      // "created", "running", "exited", ...
};

enum class Action { Create, Recreate, Start, Noop, Remove };
const char* to_string(Action a);

struct ContainerAction {
  Action action = Action::Noop;
  std::string service;
  int number = 0;
  std::string name;         // the container's name after the action
  std::string existing_id;  // Recreate/Start/Noop/Remove: the container there now
  std::string reason;       // why (for --debug and tests): "config changed", "dependency web recreated"
};

struct ServicePlan {
  std::string service;
  std::vector<ContainerAction> containers;
};

enum class RecreatePolicy { Diverged, Force, Never };

struct PlanOptions {
  // Services to converge (already expanded with their dependencies unless --no-deps);
  // empty: every service of the project.
  std::set<std::string> services;
  RecreatePolicy recreate = RecreatePolicy::Diverged;
  // Policy for dependencies that were not named on the command line (compose's
  // --always-recreate-deps is Force; the default is Diverged).
  RecreatePolicy recreate_dependencies = RecreatePolicy::Diverged;
  std::set<std::string> named;  // services named on the command line (empty: all are named)
  std::map<std::string, int> scale;  // --scale SERVICE=N
  // The desired config hash of each service (config_hash + image id): a container whose label
  // differs is recreated.
  std::map<std::string, std::string> hashes;
  bool remove_orphans = false;
};

struct Plan {
  std::vector<std::string> networks;  // project network keys the selected services use
  std::vector<std::string> volumes;   // project volume keys the selected services use
  // Services level by level (dependencies first); services within a level are independent.
  std::vector<std::vector<ServicePlan>> levels;
  std::vector<ActualContainer> orphans;  // containers of services the project no longer has

  // Nothing to create, recreate, start or remove (orphans count only with remove_orphans).
  bool noop(bool count_orphans) const;
  const ServicePlan* find(const std::string& service) const;
};

// Desired replica count: --scale, else scale/deploy.replicas, else 1.
int desired_replicas(const Service& s, const PlanOptions& opts);
// PROJECT-SERVICE-N, or container_name.
std::string container_name(const std::string& project, const Service& s, int number);

// Throws UserError for an impossible request (container_name with more than one replica,
// --scale of an unknown service).
Plan convergence_plan(const Project& project, const DependencyGraph& graph,
                      const std::vector<ActualContainer>& actual, const PlanOptions& opts);

}  // namespace berth::compose::orchestrate
