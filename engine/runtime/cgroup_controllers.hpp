#pragma once
// Which cgroup v2 controllers a container's limits need, and the one-line error when one is not
// delegated (pure logic: no file is touched here).
#include <filesystem>
#include <string>
#include <vector>

#include "engine/runtime/runtime.hpp"

namespace berth::engine {

struct ControllerNeeds {
  std::vector<std::string> required;  // a limit the user asked for cannot be applied without them
  std::vector<std::string> optional;  // used when delegated: memory (OOM counts), pids (the default limit)
};

// memory for -m/--memory-swap/--memory-reservation, cpu for --cpus/--cpu-shares/--cpu-quota/
// --cpu-period, cpuset for --cpuset-cpus, pids for a positive --pids-limit. io and cpuset are
// never enabled unless a limit needs them (enabling them can fail or cost); memory and pids are
// optional otherwise.
ControllerNeeds controllers_for(const Resources& r);

// "cpu memory pids\n" -> {"cpu", "memory", "pids"}.
std::vector<std::string> parse_controllers(const std::string& text);
bool has_controller(const std::vector<std::string>& list, const std::string& c);

// One line: which controller is missing, where (the cgroup whose cgroup.controllers lacks it and
// what it has), which limit needs it and what the user can do.
std::string missing_controller_message(const std::string& controller, const std::filesystem::path& cgroup,
                                       const std::vector<std::string>& available);

}  // namespace berth::engine
