#pragma once
// Applying a project to the machine: `up` (networks, volumes, containers level by level, the
// services of one level in parallel, depends_on conditions, rollback of what this call made) and
// `down`. It joins the planner (plan.hpp) with the runtime, the network layer and volumes/.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/paths.hpp"
#include "compose/model.hpp"
#include "compose/orchestrate/plan.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::compose::orchestrate {

struct UpOptions {
  std::vector<std::string> services;  // empty: all
  bool no_deps = false;
  RecreatePolicy recreate = RecreatePolicy::Diverged;
  bool no_start = false;
  bool remove_orphans = false;
  std::map<std::string, int> scale;
  int parallel = -1;  // -1: unlimited
  std::optional<std::chrono::seconds> timeout;  // stop timeout for recreate
  // --wait: return only when every started container is running (healthy when it has a
  // healthcheck; one-shot containers that exited 0 count as done).
  bool wait = false;
  std::chrono::seconds wait_timeout{0};  // 0: no limit
};

struct DownOptions {
  bool volumes = false;  // -v: named (non-external) and anonymous volumes too
  bool remove_orphans = false;
  std::optional<std::chrono::seconds> timeout;
};

// One line of progress ("Container p-web-1  Started").
using Progress = std::function<void(const std::string& object, const std::string& status)>;

class ProjectRuntime {
 public:
  ProjectRuntime(const StatePaths& paths, const Project& project, Progress progress = {});

  // Returns true when something changed (false: nothing to do).
  bool up(const UpOptions& opts);
  void down(const DownOptions& opts);
  // Containers of the project (not one-off unless asked), sorted by service and number.
  std::vector<engine::ContainerInfo> containers(bool include_stopped = true, bool oneoff = false) const;
  // Stop / start / restart / kill the project's containers of `services` (empty: all).
  void stop(const std::vector<std::string>& services, std::optional<std::chrono::seconds> timeout);
  void start(const std::vector<std::string>& services);
  void kill(const std::vector<std::string>& services, int signal);

  // Pulls images from their registries, several at once (`berth pull`; `up` for missing ones).
  void pull_images(const std::vector<std::string>& refs, int parallel, bool missing_is_fatal = false,
                   bool ignore_failures = false);

  engine::Runtime& runtime() { return runtime_; }

 private:
  struct Impl;
  StatePaths paths_;
  const Project& project_;
  Progress progress_;
  engine::Runtime runtime_;
};

}  // namespace berth::compose::orchestrate
