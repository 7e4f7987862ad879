#include "engine/runtime/init_spec.hpp"

#include <nlohmann/json.hpp>

namespace nlohmann {
template <class T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& o) {
    if (o)
      j = *o;
    else
      j = nullptr;
  }
  static void from_json(const json& j, std::optional<T>& o) {
    if (j.is_null())
      o.reset();
    else
      o = j.get<T>();
  }
};
}  // namespace nlohmann

namespace berth::engine {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InitMount, kind, source, target, read_only, is_file, flags, data,
                                                propagation)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InitRlimit, name, soft, hard)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InitDevice, host_path, container_path)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProcessSecurity, user, caps, no_new_privileges, seccomp,
                                                seccomp_program, oom_score_adj, group_add)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InitSpec, id, lower_dirs, upper, work, rootfs, read_only, volatile_upper, mounts,
                                                netns_path, cgroup_procs, hostname, domainname, rlimits, sysctls,
                                                argv, env, cwd, tty, init, security, privileged,
                                                devices, shm_size, shm_source, masked_paths, readonly_paths)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ExecRequest, argv, env, cwd, tty, security, rlimits, cgroup_procs)

std::string serialize_init_spec(const InitSpec& s) {
  nlohmann::json j = s;
  j["type"] = "spec";
  return j.dump();
}

InitSpec parse_init_spec(const std::string& json) { return nlohmann::json::parse(json).get<InitSpec>(); }

std::string serialize_exec_request(const ExecRequest& r) { return nlohmann::json(r).dump(); }

ExecRequest parse_exec_request(const std::string& json) { return nlohmann::json::parse(json).get<ExecRequest>(); }

const std::vector<std::string>& default_masked_paths() {
  static const std::vector<std::string> paths = {
      "/proc/asound",        "/proc/acpi",        "/proc/interrupts", "/proc/kcore",
      "/proc/keys",          "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
      "/proc/sched_debug",   "/proc/scsi",        "/sys/firmware",    "/sys/devices/virtual/powercap"};
  return paths;
}

const std::vector<std::string>& default_readonly_paths() {
  static const std::vector<std::string> paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                 "/proc/sysrq-trigger"};
  return paths;
}

}  // namespace berth::engine
