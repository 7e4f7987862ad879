#pragma once
// A container's cgroup, v1 and v2 behind one interface (ANCHORS 3.4). The layout is detected
// once: pure v2 when /sys/fs/cgroup is a cgroup2 mount; otherwise v1 controllers under
// /sys/fs/cgroup/<controller> (a hybrid host's /sys/fs/cgroup/unified with no controllers is
// used only to hold containers like name=systemd, unlike crun which refuses it). Containers live
// under "berth/<id>"; on v2 only the controllers their limits need are enabled
// (engine/runtime/cgroup_controllers.hpp), down a tree made by engine/runtime/cgroup_v2_tree.hpp.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/runtime/cgroup_usage.hpp"
#include "engine/runtime/device_rules.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::engine {

class Cgroup {
 public:
  virtual ~Cgroup() = default;
  // The cgroup for container `id` (nothing made yet).
  static std::unique_ptr<Cgroup> for_container(const std::string& id);
  static bool is_v2_host();

  virtual bool exists() const = 0;
  // Creates the directories, writes the limits and applies the device policy (everything but
  // `devices` denied: v1 devices.deny "a" then devices.allow per rule; v2 a BPF device program,
  // engine/runtime/device_filter.hpp). Throws (UserError for limits the kernel refuses, naming the
  // file) and leaves nothing behind on failure. Calling it again on an existing cgroup (a
  // restart) replaces the policy.
  virtual void create(const Resources& r, const std::vector<DeviceRule>& devices) = 0;
  // The "cgroup.procs" files a process writes "0" into to join every controller.
  virtual std::vector<std::string> procs_files() const = 0;
  // Pids of every process inside (recursive), for top and kill.
  virtual std::vector<int> pids() const = 0;
  virtual void freeze(bool frozen) = 0;
  virtual bool frozen() const = 0;
  // File with "oom_kill N" (v1 memory.oom_control, v2 memory.events).
  virtual std::string oom_file() const = 0;
  // What it has used so far (engine/runtime/cgroup_usage.hpp); zeros when it does not exist.
  virtual CgroupUsage usage() const = 0;
  // SIGKILLs every process inside, waits (up to ~2 s) until empty, removes the directories.
  // Throws SysError when a directory stays busy.
  virtual void destroy() = 0;
};

}  // namespace berth::engine
