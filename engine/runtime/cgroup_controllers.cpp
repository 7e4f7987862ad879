#include "engine/runtime/cgroup_controllers.hpp"

#include <algorithm>
#include <sstream>

namespace berth::engine {

ControllerNeeds controllers_for(const Resources& r) {
  ControllerNeeds n;
  auto need = [&](bool required, const char* c) { (required ? n.required : n.optional).emplace_back(c); };
  need(r.memory > 0 || r.memory_reservation > 0 || r.memory_swap > 0, "memory");
  if (r.cpus > 0 || r.cpu_shares > 0 || r.cpu_quota != 0 || r.cpu_period > 0) n.required.emplace_back("cpu");
  if (!r.cpuset_cpus.empty()) n.required.emplace_back("cpuset");
  need(r.pids_limit > 0, "pids");
  return n;
}

std::vector<std::string> parse_controllers(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string c;
  while (in >> c) out.push_back(c);
  return out;
}

bool has_controller(const std::vector<std::string>& list, const std::string& c) {
  return std::find(list.begin(), list.end(), c) != list.end();
}

namespace {

const char* limit_for(const std::string& c) {
  if (c == "memory") return "the memory limit (--memory/mem_limit, --memory-swap, --memory-reservation)";
  if (c == "cpu") return "the CPU limit (--cpus, --cpu-shares, --cpu-quota, --cpu-period)";
  if (c == "cpuset") return "--cpuset-cpus (cpuset)";
  if (c == "pids") return "--pids-limit (pids_limit)";
  return "a limit";
}

}  // namespace

std::string missing_controller_message(const std::string& controller, const std::filesystem::path& cgroup,
                                       const std::vector<std::string>& available) {
  std::string has;
  for (const auto& c : available) has += (has.empty() ? "" : " ") + c;
  return "the cgroup v2 " + controller + " controller is not delegated to " + cgroup.string() +
         " (its cgroup.controllers: " + (has.empty() ? "none" : has) + "), and " + limit_for(controller) +
         " needs it: delegate it (enable it in the parent cgroup's cgroup.subtree_control; systemd: Delegate=yes) or drop the limit";
}

}  // namespace berth::engine
