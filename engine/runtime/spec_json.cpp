#include "engine/runtime/spec_json.hpp"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "base/control_chars.hpp"
#include "base/error.hpp"
#include "engine/runtime/capabilities.hpp"
#include "engine/runtime/device_rules.hpp"
#include "engine/runtime/namespace_modes.hpp"
#include "engine/runtime/rlimits.hpp"

namespace berth::engine {

NLOHMANN_JSON_SERIALIZE_ENUM(MountSpec::Type, {{MountSpec::Type::Bind, "bind"},
                                               {MountSpec::Type::Tmpfs, "tmpfs"},
                                               {MountSpec::Type::VolumeDir, "volume"}})
NLOHMANN_JSON_SERIALIZE_ENUM(NetworkMode::Kind, {{NetworkMode::Kind::New, "new"},
                                                 {NetworkMode::Kind::Host, "host"},
                                                 {NetworkMode::Kind::None, "none"},
                                                 {NetworkMode::Kind::JoinContainer, "container"}})

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MountSpec, type, source, target, read_only, options, propagation,
                                                create_host_path)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Ulimit, name, soft, hard)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LogOptions, max_size, max_file)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetworkMode, kind, container)

namespace {

std::string restart_text(const RestartPolicy& p) { return to_string(p); }

void put_resources(nlohmann::json& j, const Resources& r) {
  j = {{"memory", r.memory},         {"memory_swap", r.memory_swap}, {"memory_reservation", r.memory_reservation},
       {"cpus", r.cpus},             {"cpu_shares", r.cpu_shares},   {"cpu_quota", r.cpu_quota},
       {"cpu_period", r.cpu_period}, {"cpuset_cpus", r.cpuset_cpus}, {"pids_limit", r.pids_limit}};
  if (r.oom_score_adj) j["oom_score_adj"] = *r.oom_score_adj;
}

Resources get_resources(const nlohmann::json& j) {
  Resources r;
  r.memory = j.value("memory", r.memory);
  r.memory_swap = j.value("memory_swap", r.memory_swap);
  r.memory_reservation = j.value("memory_reservation", r.memory_reservation);
  r.cpus = j.value("cpus", r.cpus);
  r.cpu_shares = j.value("cpu_shares", r.cpu_shares);
  r.cpu_quota = j.value("cpu_quota", r.cpu_quota);
  r.cpu_period = j.value("cpu_period", r.cpu_period);
  r.cpuset_cpus = j.value("cpuset_cpus", r.cpuset_cpus);
  r.pids_limit = j.value("pids_limit", r.pids_limit);
  if (j.contains("oom_score_adj") && !j["oom_score_adj"].is_null()) r.oom_score_adj = j["oom_score_adj"].get<int>();
  return r;
}

}  // namespace

nlohmann::json spec_to_json(const ContainerSpec& s) {
  nlohmann::json j;
  j["name"] = s.name;
  j["labels"] = s.labels;
  j["image_id"] = s.image_id;
  j["image"] = s.image;
  std::vector<std::string> lowers;
  for (const auto& p : s.lower_dirs) lowers.push_back(p.string());
  j["lower_dirs"] = lowers;
  j["argv"] = s.argv;
  j["env"] = s.env;
  j["working_dir"] = s.working_dir;
  j["user"] = s.user;
  j["hostname"] = s.hostname;
  j["domainname"] = s.domainname;
  j["tty"] = s.tty;
  j["stdin_open"] = s.stdin_open;
  j["init"] = s.init;
  j["read_only"] = s.read_only;
  if (s.volatile_rootfs) j["volatile_rootfs"] = true;
  j["mounts"] = s.mounts;
  j["hosts_file"] = s.hosts_file;
  j["resolv_conf"] = s.resolv_conf;
  j["hostname_file"] = s.hostname_file;
  j["ulimits"] = s.ulimits;
  j["sysctls"] = s.sysctls;
  j["cap_add"] = s.cap_add;
  j["cap_drop"] = s.cap_drop;
  j["privileged"] = s.privileged;
  j["no_new_privileges"] = s.no_new_privileges;
  j["seccomp_unconfined"] = s.seccomp_unconfined;
  j["devices"] = s.devices;
  j["device_cgroup_rules"] = s.device_cgroup_rules;
  j["shm_size"] = s.shm_size;
  put_resources(j["resources"], s.resources);
  j["restart"] = restart_text(s.restart);
  j["log"] = s.log;
  j["stop_signal"] = s.stop_signal;
  j["stop_grace_period_s"] = s.stop_grace_period.count();
  j["healthcheck"] = {{"test", s.healthcheck.test},
                      {"interval_ms", s.healthcheck.interval.count()},
                      {"timeout_ms", s.healthcheck.timeout.count()},
                      {"start_period_ms", s.healthcheck.start_period.count()},
                      {"start_interval_ms", s.healthcheck.start_interval.count()},
                      {"retries", s.healthcheck.retries}};
  j["network"] = s.network;
  if (!s.pid_mode.empty()) j["pid_mode"] = s.pid_mode;
  if (!s.ipc_mode.empty()) j["ipc_mode"] = s.ipc_mode;
  if (!s.uts_mode.empty()) j["uts_mode"] = s.uts_mode;
  if (!s.group_add.empty()) j["group_add"] = s.group_add;
  return j;
}

ContainerSpec spec_from_json(const nlohmann::json& j) {
  ContainerSpec s;
  s.name = j.value("name", "");
  s.labels = j.value("labels", s.labels);
  s.image_id = j.value("image_id", "");
  s.image = j.value("image", "");
  for (const auto& p : j.value("lower_dirs", std::vector<std::string>{})) s.lower_dirs.emplace_back(p);
  s.argv = j.value("argv", s.argv);
  s.env = j.value("env", s.env);
  s.working_dir = j.value("working_dir", "");
  s.user = j.value("user", "");
  s.hostname = j.value("hostname", "");
  s.domainname = j.value("domainname", "");
  s.tty = j.value("tty", false);
  s.stdin_open = j.value("stdin_open", false);
  s.init = j.value("init", false);
  s.read_only = j.value("read_only", false);
  s.volatile_rootfs = j.value("volatile_rootfs", false);
  s.mounts = j.value("mounts", s.mounts);
  s.hosts_file = j.value("hosts_file", "");
  s.resolv_conf = j.value("resolv_conf", "");
  s.hostname_file = j.value("hostname_file", "");
  s.ulimits = j.value("ulimits", s.ulimits);
  s.sysctls = j.value("sysctls", s.sysctls);
  s.cap_add = j.value("cap_add", s.cap_add);
  s.cap_drop = j.value("cap_drop", s.cap_drop);
  s.privileged = j.value("privileged", false);
  s.no_new_privileges = j.value("no_new_privileges", false);
  s.seccomp_unconfined = j.value("seccomp_unconfined", false);
  s.devices = j.value("devices", s.devices);
  s.device_cgroup_rules = j.value("device_cgroup_rules", s.device_cgroup_rules);
  s.shm_size = j.value("shm_size", s.shm_size);
  if (j.contains("resources")) s.resources = get_resources(j["resources"]);
  s.restart = parse_restart_policy(j.value("restart", "no"));
  s.log = j.value("log", s.log);
  s.stop_signal = j.value("stop_signal", s.stop_signal);
  s.stop_grace_period = std::chrono::seconds(j.value("stop_grace_period_s", 10));
  if (j.contains("healthcheck")) {
    const auto& h = j["healthcheck"];
    s.healthcheck.test = h.value("test", std::vector<std::string>{});
    s.healthcheck.interval = std::chrono::milliseconds(h.value("interval_ms", 30000));
    s.healthcheck.timeout = std::chrono::milliseconds(h.value("timeout_ms", 30000));
    s.healthcheck.start_period = std::chrono::milliseconds(h.value("start_period_ms", 0));
    s.healthcheck.start_interval = std::chrono::milliseconds(h.value("start_interval_ms", 5000));
    s.healthcheck.retries = h.value("retries", 3);
  }
  s.network = j.value("network", s.network);
  s.pid_mode = j.value("pid_mode", "");
  s.ipc_mode = j.value("ipc_mode", "");
  s.uts_mode = j.value("uts_mode", "");
  s.group_add = j.value("group_add", s.group_add);
  return s;
}

RestartPolicy parse_restart_policy(const std::string& text) {
  RestartPolicy p;
  if (text.empty() || text == "no") return p;
  if (text == "always") return p.kind = RestartPolicy::Kind::Always, p;
  if (text == "unless-stopped") return p.kind = RestartPolicy::Kind::UnlessStopped, p;
  if (text.rfind("on-failure", 0) == 0) {
    p.kind = RestartPolicy::Kind::OnFailure;
    std::string rest = text.substr(10);
    if (rest.empty()) return p;
    if (rest[0] == ':' && rest.size() > 1 && std::all_of(rest.begin() + 1, rest.end(), ::isdigit)) {
      p.max_retries = std::stoi(rest.substr(1));
      return p;
    }
  }
  throw UserError("invalid restart policy \"" + text + "\": use no, always, on-failure[:max-retries] or unless-stopped");
}

std::string to_string(const RestartPolicy& p) {
  switch (p.kind) {
    case RestartPolicy::Kind::No: return "no";
    case RestartPolicy::Kind::Always: return "always";
    case RestartPolicy::Kind::UnlessStopped: return "unless-stopped";
    case RestartPolicy::Kind::OnFailure:
      return p.max_retries > 0 ? "on-failure:" + std::to_string(p.max_retries) : "on-failure";
  }
  return "no";
}

std::string to_string(ContainerState s) {
  switch (s) {
    case ContainerState::Created: return "created";
    case ContainerState::Running: return "running";
    case ContainerState::Paused: return "paused";
    case ContainerState::Restarting: return "restarting";
    case ContainerState::Exited: return "exited";
    case ContainerState::Dead: return "dead";
  }
  return "unknown";
}

int parse_signal(const std::string& name) {
  if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) {
    int n = std::stoi(name);
    if (n > 0 && n < NSIG) return n;
    throw UserError("invalid signal: " + name);
  }
  std::string up = name;
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
  if (up.rfind("SIG", 0) == 0) up = up.substr(3);
  for (int i = 1; i < NSIG; ++i) {
    const char* abbrev = ::sigabbrev_np(i);
    if (abbrev && up == abbrev) return i;
  }
  throw UserError("invalid signal: " + name);
}

void validate_spec(const ContainerSpec& s) {
  if (s.argv.empty()) throw UserError("no command specified");
  if (s.lower_dirs.empty()) throw UserError("no image layers given for the container's root filesystem");
  if (!s.name.empty()) {
    bool ok = std::isalnum(static_cast<unsigned char>(s.name[0])) &&
              std::all_of(s.name.begin(), s.name.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-'; });
    if (!ok) throw UserError("invalid container name \"" + s.name + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  }
  for (const auto& d : s.devices) parse_device_mapping(d);  // the host node is looked at by start()
  for (const auto& rule : s.device_cgroup_rules) parse_device_rule(rule);
  const auto& r = s.resources;
  if (r.memory < 0) throw UserError("invalid memory limit " + std::to_string(r.memory) + ": must be positive");
  if (r.memory > 0 && r.memory < 6 * 1024 * 1024)
    throw UserError("invalid memory limit " + std::to_string(r.memory) + ": minimum memory limit allowed is 6MB");
  if (r.memory_swap > 0 && r.memory > 0 && r.memory_swap < r.memory)
    throw UserError("invalid memswap_limit: it must be larger than the memory limit");
  if (r.memory_swap > 0 && r.memory == 0)
    throw UserError("invalid memswap_limit: it requires a memory limit");
  if (r.memory_reservation < 0) throw UserError("invalid mem_reservation: must be positive");
  if (r.cpus < 0) throw UserError("invalid cpus value: must be positive");
  if (r.cpu_shares < 0 || (r.cpu_shares > 0 && r.cpu_shares < 2) || r.cpu_shares > 262144)
    throw UserError("invalid cpu_shares " + std::to_string(r.cpu_shares) + ": must be between 2 and 262144");
  if (r.cpu_period != 0 && (r.cpu_period < 1000 || r.cpu_period > 1000000))
    throw UserError("invalid cpu_period: must be between 1ms (1000) and 1s (1000000)");
  if (r.cpu_quota != 0 && r.cpu_quota < 1000 && r.cpu_quota != -1)
    throw UserError("invalid cpu_quota: must be at least 1ms (1000)");
  if (r.cpus > 0 && (r.cpu_quota > 0 || r.cpu_period > 0))
    throw UserError("conflicting options: cpus and cpu_period/cpu_quota cannot both be set");
  if (r.pids_limit < -1) throw UserError("invalid pids_limit: must be -1 (unlimited) or positive");
  if (!r.cpuset_cpus.empty() &&
      !std::all_of(r.cpuset_cpus.begin(), r.cpuset_cpus.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == ',' || c == '-'; }))
    throw UserError("invalid cpuset \"" + r.cpuset_cpus + "\"");
  if (r.oom_score_adj && (*r.oom_score_adj < -1000 || *r.oom_score_adj > 1000))
    throw UserError("invalid oom_score_adj: must be between -1000 and 1000");
  if (s.shm_size < 0) throw UserError("invalid shm_size: must be positive");
  for (const auto& u : s.ulimits) {
    if (rlimit_resource(u.name) < 0) throw UserError("invalid ulimit \"" + u.name + "\": unknown resource");
    if (u.soft > u.hard && u.hard >= 0)
      throw UserError("invalid ulimit " + u.name + ": soft limit " + std::to_string(u.soft) + " exceeds hard limit " + std::to_string(u.hard));
  }
  for (const auto& c : s.cap_add) normalize_capability(c);
  for (const auto& c : s.cap_drop) normalize_capability(c);
  parse_signal(s.stop_signal);
  for (const auto& m : s.mounts) {
    if (m.target.empty() || m.target[0] != '/') throw UserError("invalid mount target \"" + m.target + "\": must be an absolute path");
    if (m.type != MountSpec::Type::Tmpfs && m.source.empty()) throw UserError("mount on " + m.target + ": no source given");
  }
  if (s.network.kind == NetworkMode::Kind::JoinContainer && s.network.container.empty())
    throw UserError("network_mode container: needs a container name or id");
  for (const auto& [key, mode] : {std::pair{"pid", &s.pid_mode}, std::pair{"ipc", &s.ipc_mode}, std::pair{"uts", &s.uts_mode}})
    if (!namespace_mode_valid(*mode))
      throw UserError(std::string("invalid ") + key + " mode \"" + *mode + "\": expected host or container:NAME");
  if (!namespace_mode_private(s.uts_mode) && !s.hostname.empty())
    throw UserError("conflicting options: hostname and the UTS mode " + s.uts_mode);
  if (s.log.max_file < 1) throw UserError("invalid log max-file: must be at least 1");
  // Both are written into /etc/hosts and /etc/hostname: one line each.
  for (const auto& [key, value] : {std::pair{"hostname", &s.hostname}, std::pair{"domainname", &s.domainname}})
    if (has_control_char(*value))
      throw UserError(std::string("invalid ") + key + " \"" + value->substr(0, value->find_first_of("\r\n")) +
                      "...\": it contains a control character");
}

}  // namespace berth::engine
