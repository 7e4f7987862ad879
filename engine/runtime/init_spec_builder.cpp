#include "engine/runtime/init_spec_builder.hpp"

#include "base/error.hpp"
#include "engine/runtime/capabilities.hpp"
#include "engine/runtime/cgroup.hpp"
#include "engine/runtime/device_rules.hpp"
#include "engine/runtime/mountpoint_layer.hpp"
#include "engine/runtime/namespace_modes.hpp"
#include "engine/runtime/rlimits.hpp"
#include "engine/runtime/runtime_internal.hpp"
#include "engine/runtime/seccomp_profile.hpp"

namespace berth::engine {
namespace fs = std::filesystem;
namespace {

InitMount to_init_mount(const MountSpec& m) {
  InitMount im;
  im.target = m.target;
  im.read_only = m.read_only;
  im.propagation = m.propagation;
  if (m.type == MountSpec::Type::Tmpfs) {
    im.kind = "tmpfs";
    std::string data;
    for (const auto& o : m.options) {
      if (o == "noexec" || o == "nosuid" || o == "nodev") {
        im.flags.push_back(o);
        continue;
      }
      data += (data.empty() ? "" : ",") + o;
    }
    im.data = data;
    return im;
  }
  im.kind = "bind";
  im.source = m.source;
  for (const auto& o : m.options)
    if (o == "noexec" || o == "nosuid" || o == "nodev") im.flags.push_back(o);
  std::error_code ec;
  if (!fs::exists(m.source, ec)) {
    if (m.type == MountSpec::Type::Bind && !m.create_host_path)
      throw UserError("invalid mount config: bind source path does not exist: " + m.source);
    fs::create_directories(m.source, ec);
    if (ec) throw_sys(ec.value(), "mkdir", m.source);
  }
  return im;
}

InitDevice init_device(const std::string& d) {
  DeviceMapping m = parse_device_mapping(d);
  return InitDevice{m.host_path, m.container_path};
}

}  // namespace

ProcessSecurity build_security(const ContainerSpec& spec, const std::string& user_override) {
  ProcessSecurity s;
  s.user = user_override.empty() ? spec.user : user_override;
  s.caps = compute_capabilities(spec.cap_add, spec.cap_drop, spec.privileged);
  s.no_new_privileges = spec.no_new_privileges;
  s.group_add = spec.group_add;
  s.seccomp = !spec.seccomp_unconfined && !spec.privileged;
  if (s.seccomp) s.seccomp_program = default_seccomp_program(s.caps);
  return s;
}

InitSpec build_init_spec(const StatePaths& paths, const ContainerInfo& info, const Cgroup& cgroup) {
  const ContainerSpec& spec = info.spec;
  InitSpec s;
  s.id = info.id;
  for (const auto& l : spec.lower_dirs) s.lower_dirs.push_back(l.string());
  if (!spec.lower_dirs.empty())
    if (auto top = mountpoint_layer(paths, spec.lower_dirs)) s.lower_dirs.push_back(top->string());
  s.upper = (info.dir / "upper").string();
  s.work = (info.dir / "work").string();
  auto files = detail::files_for(paths, info.id);
  s.rootfs = files.rootfs().string();
  s.read_only = spec.read_only;
  s.volatile_upper = spec.volatile_rootfs;
  for (const auto& [source, target] : {std::pair{files.hosts(), "/etc/hosts"}, std::pair{files.resolv_conf(), "/etc/resolv.conf"},
                                       std::pair{files.hostname(), "/etc/hostname"}}) {
    InitMount m;
    m.kind = "bind";
    m.source = source.string();
    m.target = target;
    m.is_file = true;
    s.mounts.push_back(m);
  }
  for (const auto& m : spec.mounts) s.mounts.push_back(to_init_mount(m));
  if (spec.network.kind == NetworkMode::Kind::JoinContainer) {
    // The joined container has its own persistent netns, shares the host's, or (joining a chain)
    // is itself running in another one.
    auto target = detail::load_info(paths, spec.network.container);
    if (!target) throw UserError("network_mode container:" + spec.network.container + ": no such container");
    if (target->spec.network.kind == NetworkMode::Kind::Host)
      s.netns_path.clear();
    else if (!target->netns_path.empty())
      s.netns_path = target->netns_path.string();
    else if (target->running())
      s.netns_path = "/proc/" + std::to_string(target->pid) + "/ns/net";
    else
      throw UserError("network_mode container:" + target->name + ": that container is not running");
  } else {
    s.netns_path = info.netns_path.string();
  }
  s.cgroup_procs = cgroup.procs_files();
  s.hostname = detail::container_hostname(info);
  s.domainname = spec.domainname;
  if (!namespace_mode_private(spec.uts_mode)) {
    // the names belong to the host or to the container whose UTS namespace is joined
    s.hostname.clear();
    s.domainname.clear();
  }
  s.rlimits = build_rlimits(spec);
  s.sysctls = spec.sysctls;
  s.argv = spec.argv;
  s.env = detail::container_env(info);
  s.cwd = spec.working_dir.empty() ? "/" : spec.working_dir;
  s.tty = spec.tty;
  s.init = spec.init;
  s.security = build_security(spec);
  s.security.oom_score_adj = spec.resources.oom_score_adj;
  s.privileged = spec.privileged;
  for (const auto& d : spec.devices) s.devices.push_back(init_device(d));
  s.shm_size = spec.shm_size;
  if (!spec.privileged) {
    s.masked_paths = default_masked_paths();
    s.readonly_paths = default_readonly_paths();
  }
  return s;
}

std::vector<InitRlimit> build_rlimits(const ContainerSpec& spec) {
  std::vector<InitRlimit> ulimits;
  for (const auto& u : spec.ulimits) ulimits.push_back({u.name, u.soft, u.hard});
  std::vector<InitRlimit> out = baseline_rlimits(ulimits);
  out.insert(out.end(), ulimits.begin(), ulimits.end());
  return out;
}

std::optional<ExecRequest> build_health_request(const ContainerInfo& info, const Cgroup& cgroup) {
  const auto& test = info.spec.healthcheck.test;
  if (test.empty() || test[0] == "NONE") return std::nullopt;
  ExecRequest r;
  if (test[0] == "CMD-SHELL" && test.size() >= 2)
    r.argv = {"/bin/sh", "-c", test[1]};
  else if (test[0] == "CMD")
    r.argv.assign(test.begin() + 1, test.end());
  else
    r.argv = test;  // a plain command line given as argv
  if (r.argv.empty()) return std::nullopt;
  r.env = detail::container_env(info);
  r.cwd = info.spec.working_dir.empty() ? "/" : info.spec.working_dir;
  r.security = build_security(info.spec);
  r.rlimits = build_rlimits(info.spec);
  r.cgroup_procs = cgroup.procs_files();
  return r;
}

}  // namespace berth::engine
