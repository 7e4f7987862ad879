#include "compose/orchestrate/container_spec.hpp"

#include <cstdlib>

#include "base/error.hpp"
#include "base/log.hpp"
#include "compose/orchestrate/labels.hpp"
#include "compose/orchestrate/service_image.hpp"

namespace berth::compose::orchestrate {

namespace {

std::chrono::milliseconds ms(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); }

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

}  // namespace

std::int64_t parse_byte_size(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v < 0) throw UserError("invalid size \"" + text + "\"");
  std::string unit(end);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  double mult = 1;
  if (unit == "k") mult = 1024;
  else if (unit == "m") mult = 1024.0 * 1024;
  else if (unit == "g") mult = 1024.0 * 1024 * 1024;
  else if (!unit.empty()) throw UserError("invalid size \"" + text + "\"");
  return static_cast<std::int64_t>(v * mult);
}

std::vector<std::string> effective_argv(const Service& s, const engine::ImageConfig& image) {
  std::vector<std::string> entrypoint, cmd;
  if (s.entrypoint) {
    entrypoint = *s.entrypoint;
    if (s.command) cmd = *s.command;  // the image Cmd is reset by a new entrypoint
  } else {
    if (image.entrypoint) entrypoint = *image.entrypoint;
    if (s.command)
      cmd = *s.command;
    else if (image.cmd)
      cmd = *image.cmd;
  }
  entrypoint.insert(entrypoint.end(), cmd.begin(), cmd.end());
  if (entrypoint.empty())
    throw UserError("service \"" + s.name + "\": no command specified (the image has no CMD or ENTRYPOINT)");
  return entrypoint;
}

std::vector<std::string> effective_env(const Service& s, const engine::ImageConfig& image,
                                       const std::map<std::string, std::string>& link_env) {
  std::vector<std::string> order;
  std::map<std::string, std::string> values;
  auto set = [&](const std::string& k, const std::string& v) {
    if (!values.count(k)) order.push_back(k);
    values[k] = v;
  };
  for (auto& kv : image.env) {
    auto eq = kv.find('=');
    set(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
  }
  for (auto& [k, v] : link_env) set(k, v);
  for (auto& [k, v] : s.environment) set(k, v);
  std::vector<std::string> out;
  for (auto& k : order) out.push_back(k + "=" + values[k]);
  return out;
}

engine::HealthcheckSpec effective_healthcheck(const Service& s, const engine::ImageConfig& image) {
  engine::HealthcheckSpec h;
  const Healthcheck* sh = s.healthcheck ? &*s.healthcheck : nullptr;
  if (sh && sh->disable) return h;
  const engine::Healthcheck* ih = image.healthcheck ? &*image.healthcheck : nullptr;
  if (sh && !sh->test.empty())
    h.test = sh->test;
  else if (ih)
    h.test = ih->test;
  if (!h.test.empty() && h.test[0] == "NONE") h.test.clear();
  if (h.test.empty()) return h;
  auto pick = [&](const std::optional<Duration>& svc, std::int64_t img, std::chrono::milliseconds& out) {
    if (svc && svc->count() > 0)
      out = ms(*svc);
    else if (img > 0)
      out = ms(Duration(img));
  };
  pick(sh ? sh->interval : std::nullopt, ih ? ih->interval_ns : 0, h.interval);
  pick(sh ? sh->timeout : std::nullopt, ih ? ih->timeout_ns : 0, h.timeout);
  pick(sh ? sh->start_period : std::nullopt, ih ? ih->start_period_ns : 0, h.start_period);
  pick(sh ? sh->start_interval : std::nullopt, ih ? ih->start_interval_ns : 0, h.start_interval);
  if (sh && sh->retries)
    h.retries = static_cast<int>(*sh->retries);
  else if (ih && ih->retries > 0)
    h.retries = ih->retries;
  return h;
}

engine::RestartPolicy effective_restart(const Service& s) {
  if (!s.restart.empty()) return engine::parse_restart_policy(s.restart);
  engine::RestartPolicy p;
  if (s.deploy && s.deploy->restart_policy) {
    auto& rp = *s.deploy->restart_policy;
    if (rp.condition == "any" || rp.condition.empty()) p.kind = engine::RestartPolicy::Kind::Always;
    else if (rp.condition == "on-failure") p.kind = engine::RestartPolicy::Kind::OnFailure;
    if (rp.max_attempts) p.max_retries = static_cast<int>(*rp.max_attempts);
  }
  return p;
}

std::map<std::string, std::string> container_labels(const Project& p, const Service& s, int number, bool oneoff,
                                                    const std::string& config_hash, const std::string& image_id) {
  std::map<std::string, std::string> l = s.labels;
  l[kProjectLabel] = p.name;
  l[kServiceLabel] = s.name;
  l[kNumberLabel] = std::to_string(number);
  l[kConfigHashLabel] = config_hash;
  l[kOneoffLabel] = oneoff ? "True" : "False";
  l[kWorkingDirLabel] = p.working_dir;
  l[kConfigFilesLabel] = join(p.files, ",");
  l[kImageLabel] = image_id;
  l[kVersionLabel] = kVersion;
  std::vector<std::string> deps;
  for (auto& [name, d] : s.depends_on)
    deps.push_back(name + ":" + d.condition + ":" + (d.restart ? "true" : "false"));
  l[kDependsOnLabel] = join(deps, ",");
  return l;
}

namespace {

void apply_resources(const Service& s, engine::Resources& r) {
  const ResourceSpec* lim = s.deploy ? &s.deploy->limits : nullptr;
  const ResourceSpec* res = s.deploy ? &s.deploy->reservations : nullptr;
  if (s.mem_limit) r.memory = *s.mem_limit;
  else if (lim && lim->memory) r.memory = *lim->memory;
  if (s.memswap_limit) r.memory_swap = *s.memswap_limit;
  if (s.mem_reservation) r.memory_reservation = *s.mem_reservation;
  else if (res && res->memory) r.memory_reservation = *res->memory;
  if (s.cpus) r.cpus = *s.cpus;
  else if (lim && lim->cpus) r.cpus = *lim->cpus;
  if (s.cpu_shares) r.cpu_shares = *s.cpu_shares;
  if (s.cpu_quota) r.cpu_quota = *s.cpu_quota;
  if (s.cpu_period) r.cpu_period = *s.cpu_period;
  r.cpuset_cpus = s.cpuset;
  if (s.pids_limit) r.pids_limit = *s.pids_limit;
  else if (lim && lim->pids) r.pids_limit = *lim->pids;
  if (s.oom_score_adj) r.oom_score_adj = static_cast<int>(*s.oom_score_adj);
}

void apply_logging(const Service& s, engine::LogOptions& log) {
  if (!s.logging) return;
  auto& l = *s.logging;
  // another driver was warned about by the loader, with its file:line (it keeps json-file)
  if (auto it = l.options.find("max-size"); it != l.options.end())
    log.max_size = it->second == "-1" ? 0 : parse_byte_size(it->second);  // -1: never rotate, as Docker
  if (auto it = l.options.find("max-file"); it != l.options.end()) log.max_file = std::max(1, std::atoi(it->second.c_str()));
}

// "os/arch[/variant]" -> {os, arch} with the usual aliases ("x86_64" is amd64).
std::pair<std::string, std::string> os_arch(const std::string& platform) {
  std::string os = platform, arch;
  if (auto slash = platform.find('/'); slash != std::string::npos) {
    os = platform.substr(0, slash);
    arch = platform.substr(slash + 1);
    arch = arch.substr(0, arch.find('/'));
  }
  if (arch == "x86_64" || arch == "x86-64") arch = "amd64";
  if (arch == "aarch64") arch = "arm64";
  return {os, arch};
}

// compose's `platform`: an image of another platform is refused, as docker compose does (its
// binaries would not run here anyway). An image that does not say its platform is taken.
void check_platform(const Service& s, const engine::ImageConfig& img, const std::string& image) {
  if (s.platform.empty() || img.os.empty() || img.architecture.empty()) return;
  auto [os, arch] = os_arch(s.platform);
  auto [img_os, img_arch] = os_arch(img.os + "/" + img.architecture);
  if (os == img_os && (arch.empty() || arch == img_arch)) return;
  throw UserError("service \"" + s.name + "\": image with reference " + image + " was found but its platform (" +
                  img.os + "/" + img.architecture + ") does not match the specified platform (" + s.platform + ")");
}

// pid/ipc/uts: "service:X" becomes the container of X (by id), as compose does.
std::string namespace_mode(const SpecInput& in, const char* key, const std::string& mode) {
  if (mode.rfind("service:", 0) != 0) return mode;
  auto it = in.peers.find(mode.substr(8));
  if (it == in.peers.end())
    throw UserError("service " + in.service->name + ": " + key + " " + mode + ": the service has no container");
  return "container:" + it->second.id;
}

// volumes_from "X[:ro|:rw]" / "container:NAME[:ro|:rw]" -> (peer key, mode).
std::pair<std::string, std::string> volumes_from_entry(const std::string& v) {
  std::string ref = v, mode;
  auto last = v.rfind(':');
  if (last != std::string::npos && (v.substr(last + 1) == "ro" || v.substr(last + 1) == "rw")) {
    ref = v.substr(0, last);
    mode = v.substr(last + 1);
  }
  return {ref, mode};
}

// Docker's volumes_from: the other container's volumes and binds (not its tmpfs), at the same
// targets, read-only with ":ro", writable with ":rw", else as they are there. A target this
// container mounts itself keeps its own mount.
void add_volumes_from(const SpecInput& in, engine::ContainerSpec& spec) {
  for (const auto& v : in.service->volumes_from) {
    auto [ref, mode] = volumes_from_entry(v);
    auto it = in.peers.find(ref);
    if (it == in.peers.end())
      throw UserError("service " + in.service->name + ": volumes_from " + v + ": no such container");
    for (auto m : it->second.spec.mounts) {
      if (m.type == engine::MountSpec::Type::Tmpfs) continue;
      bool taken = false;
      for (const auto& own : spec.mounts) taken = taken || own.target == m.target;
      if (taken) continue;
      if (mode == "ro") m.read_only = true;
      else if (mode == "rw") m.read_only = false;
      m.create_host_path = false;  // it exists: the other container has it
      spec.mounts.push_back(m);
    }
  }
}

engine::MountSpec to_mount(const volumes::ResolvedMount& m) {
  engine::MountSpec out;
  out.source = m.source;
  out.target = m.target;
  out.read_only = m.read_only;
  out.propagation = m.propagation;
  if (m.type == volumes::ResolvedMount::Type::Tmpfs) {
    out.type = engine::MountSpec::Type::Tmpfs;
    out.options = m.options;
  } else {
    out.type = m.volume.empty() ? engine::MountSpec::Type::Bind : engine::MountSpec::Type::VolumeDir;
  }
  return out;
}

}  // namespace

std::vector<std::string> peer_refs(const Service& s) {
  std::vector<std::string> out;
  for (const auto* mode : {&s.pid, &s.ipc, &s.uts})
    if (mode->rfind("service:", 0) == 0) out.push_back(mode->substr(8));
  for (const auto& v : s.volumes_from) out.push_back(volumes_from_entry(v).first);
  return out;
}

engine::ContainerSpec build_spec(const SpecInput& in) {
  const Service& s = *in.service;
  const engine::ImageConfig& img = in.image;
  engine::ContainerSpec spec;
  spec.name = in.name;
  spec.labels = container_labels(*in.project, s, in.number, in.oneoff, in.config_hash, in.image_id);
  spec.image_id = in.image_id;
  spec.image = service_image(*in.project, s);
  check_platform(s, img, spec.image);
  spec.lower_dirs = in.layer_dirs;
  spec.argv = effective_argv(s, img);
  spec.env = effective_env(s, img, in.link_env);
  spec.working_dir = !s.working_dir.empty() ? s.working_dir : img.working_dir;
  spec.user = !s.user.empty() ? s.user : img.user;
  spec.hostname = s.hostname;
  spec.domainname = s.domainname;
  spec.tty = s.tty;
  spec.stdin_open = s.stdin_open;
  spec.init = s.init.value_or(false);
  spec.read_only = s.read_only;
  for (auto& m : in.mounts) spec.mounts.push_back(to_mount(m));
  for (auto& m : in.file_mounts) spec.mounts.push_back(m);
  add_volumes_from(in, spec);
  spec.hosts_file = in.hosts_file;
  spec.resolv_conf = in.resolv_conf;
  for (auto& [name, u] : s.ulimits) spec.ulimits.push_back({name, u.soft, u.hard});
  spec.sysctls = s.sysctls;
  spec.cap_add = s.cap_add;
  spec.cap_drop = s.cap_drop;
  spec.privileged = s.privileged;
  for (auto& o : s.security_opt) {
    if (o == "no-new-privileges" || o == "no-new-privileges:true" || o == "no-new-privileges=true")
      spec.no_new_privileges = true;
    else if (o == "seccomp=unconfined" || o == "seccomp:unconfined")
      spec.seccomp_unconfined = true;
    else
      log::warn("service {}: security_opt \"{}\" is not supported", s.name, o);
  }
  spec.devices = s.devices;
  spec.device_cgroup_rules = s.device_cgroup_rules;
  if (s.shm_size) spec.shm_size = *s.shm_size;
  apply_resources(s, spec.resources);
  spec.restart = effective_restart(s);
  apply_logging(s, spec.log);
  if (!s.stop_signal.empty()) spec.stop_signal = s.stop_signal;
  else if (!img.stop_signal.empty()) spec.stop_signal = img.stop_signal;
  if (s.stop_grace_period)
    spec.stop_grace_period = std::chrono::ceil<std::chrono::seconds>(*s.stop_grace_period);
  spec.healthcheck = effective_healthcheck(s, img);
  spec.pid_mode = namespace_mode(in, "pid", s.pid);
  spec.ipc_mode = namespace_mode(in, "ipc", s.ipc);
  spec.uts_mode = namespace_mode(in, "uts", s.uts);
  spec.group_add = s.group_add;
  const std::string& mode = s.network_mode;
  if (mode == "host") {
    spec.network.kind = engine::NetworkMode::Kind::Host;
  } else if (mode == "none") {
    spec.network.kind = engine::NetworkMode::Kind::None;
  } else if (mode.rfind("service:", 0) == 0 || mode.rfind("container:", 0) == 0) {
    spec.network.kind = engine::NetworkMode::Kind::JoinContainer;
    spec.network.container = in.join_container;
  }
  return spec;
}

}  // namespace berth::compose::orchestrate
