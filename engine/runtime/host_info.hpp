#pragma once
// What berth finds on the host and will use (`berth info`): kernel, cgroup layout, overlayfs
// mount API, seccomp, user namespaces. nftables is probed by the CLI (network layer).
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::engine {

struct CgroupLayout {
  std::string mode;                      // "v2", "hybrid" (v1 controllers + a v2 mount), "v1", "none"
  std::string v2_mount;                  // where the cgroup2 hierarchy is mounted ("" without one)
  std::vector<std::string> v2_options;   // its super options (nsdelegate, memory_recursiveprot, ...)
  std::vector<std::string> v1_controllers;  // controllers of the v1 mounts (name=systemd included)
};
// From /proc/self/mountinfo's text: the cgroup mounts at /sys/fs/cgroup and below.
CgroupLayout parse_cgroup_layout(const std::string& mountinfo);

// "6.1.0-18-amd64" -> {6, 1}; {0, 0} when unreadable.
std::pair<int, int> kernel_version(const std::string& release);

// Everything, probed now (reads /proc, /sys; fsopen("overlay") without mounting anything).
nlohmann::json probe_host();

}  // namespace berth::engine
