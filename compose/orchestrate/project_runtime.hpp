#pragma once
// Applying a project to the machine: `up` (networks, volumes, containers level by level, the
// services of one level in parallel, depends_on conditions; a failed up keeps what it made, as
// compose, but a half-made container) and `down`. It joins the planner (plan.hpp) with the runtime, the network layer and volumes/.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/file_lock.hpp"
#include "base/paths.hpp"
#include "compose/model.hpp"
#include "compose/orchestrate/plan.hpp"
#include "compose/orchestrate/service_build.hpp"
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
  // Services with `build:` build their image when it is missing (or pull_policy is build);
  // --build: always (the cache makes an unchanged one quick); --no-build: never (missing fails).
  bool build = false;
  bool no_build = false;
  BuildFlags build_flags;
  // --pull always|missing|never|build: replaces every service's pull_policy ("": theirs).
  std::string pull;
  bool quiet_pull = false;          // no progress lines for pulls
  bool renew_anon_volumes = false;  // -V: a recreated container gets new anonymous volumes
  // --always-recreate-deps: dependencies not named are recreated too.
  bool always_recreate_deps = false;
  bool ignore_orphans = false;      // COMPOSE_IGNORE_ORPHANS: no warning about orphans
};

struct DownOptions {
  bool volumes = false;  // -v: named (non-external) and anonymous volumes too
  bool remove_orphans = false;
  std::optional<std::chrono::seconds> timeout;
  // --rmi: "all" removes the services' images; "local" those built without an `image:` name
  // ("<project>-<service>"); "" keeps them.
  std::string rmi;
};

// `run`: a one-off container of a service, with the command line's overrides.
struct RunOptions {
  std::string service;
  std::optional<std::vector<std::string>> command;     // replaces the service's
  std::optional<std::vector<std::string>> entrypoint;  // replaces the service's
  std::vector<std::string> env;                        // KEY=VALUE (or KEY: from berth's environment)
  std::vector<ServiceVolume> volumes;                  // added
  std::vector<ServicePort> ports;                      // -p
  bool service_ports = false;                          // publish the service's ports too
  bool no_deps = false;
  std::string working_dir, user, name;
  std::map<std::string, std::string> labels;
  bool tty = false, stdin_open = false;
  // --use-aliases: the service's name and network aliases resolve to the one-off too (without,
  // only its container name does, as compose).
  bool use_aliases = false;
  std::vector<std::string> cap_add, cap_drop;  // added to the service's
  std::string pull;                            // --pull: replaces the service's pull_policy
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
  // `start --wait`, as up --wait: until the containers of `services` (empty: all) run, healthy
  // when they have a healthcheck (timeout 0: no limit).
  void wait_ready(const std::vector<std::string>& services, std::chrono::seconds timeout);
  // What `up` would do (--dry-run): the plan, without building, pulling or changing anything.
  Plan plan_up(const UpOptions& opts);
  void kill(const std::vector<std::string>& services, int signal);
  void pause(const std::vector<std::string>& services);
  void unpause(const std::vector<std::string>& services);
  // `rm`: removes the stopped containers of `services` (after stopping them with stop_first);
  // with volumes, their anonymous volumes too. Returns the names removed.
  std::vector<std::string> remove(const std::vector<std::string>& services, bool stop_first, bool volumes,
                                  std::optional<std::chrono::seconds> timeout);
  // Starts the dependencies (unless no_deps), then creates and starts the one-off container.
  // Returns its id; the caller follows, waits for and removes it.
  std::string run(const RunOptions& opts, int parallel);

  // `berth build`: builds the images of `services` (empty: all) that have `build:`, each image once.
  void build(const std::vector<std::string>& services, const BuildFlags& flags);

  // Pulls images from their registries, several at once (`berth pull`; `up` for missing ones).
  void pull_images(const std::vector<std::string>& refs, int parallel, bool missing_is_fatal = false,
                   bool ignore_failures = false);

  engine::Runtime& runtime() { return runtime_; }
  // Replaces the progress callback (dropping the old one lets its display finish).
  void set_progress(Progress progress) { progress_ = std::move(progress); }

 private:
  struct Impl;
  // Held by every call that changes the project: a second `up`/`down` of the same project waits
  // for the first, so no container is made twice.
  FileLock lock_project() const;
  // Builds or pulls what `services` need: see UpOptions::build.
  void ensure_images(const std::set<std::string>& services, int parallel, bool build = false, bool no_build = false,
                     const BuildFlags& flags = {}, const std::string& pull = "", bool quiet_pull = false);

  StatePaths paths_;
  const Project& project_;
  Progress progress_;
  engine::Runtime runtime_;
};

}  // namespace berth::compose::orchestrate
