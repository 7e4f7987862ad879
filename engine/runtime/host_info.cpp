#include "engine/runtime/host_info.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "base/daemon_cgroup.hpp"
#include "base/file_io.hpp"
#include "base/unique_fd.hpp"
#include "engine/image/overlay_mount.hpp"
#include "engine/runtime/cgroup_controllers.hpp"
#include "engine/runtime/cgroup_files.hpp"

namespace berth::engine {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string read_or(const std::string& path, const std::string& fallback) {
  try {
    auto s = try_read_file(path);
    if (!s) return fallback;
    while (!s->empty() && (s->back() == '\n' || s->back() == ' ')) s->pop_back();
    return *s;
  } catch (const std::exception&) {
    return fallback;
  }
}

// overlayfs, and which way berth mounts it (engine/image/overlay_mount.hpp): fsopen("overlay")
// loads the module.
nlohmann::json probe_overlay() {
  nlohmann::json j;
  UniqueFd fd(static_cast<int>(::fsopen("overlay", FSOPEN_CLOEXEC)));
  if (!fd) {
    j["available"] = false;
    j["error"] = std::string("fsopen(\"overlay\"): ") + std::strerror(errno);
    return j;
  }
  j["available"] = true;
  j["new_mount_api"] = overlay_takes_lowerdir_plus() ? "native (lowerdir+ layers)" : "mount(2) options (no lowerdir+ before Linux 6.8)";
  return j;
}

nlohmann::json probe_cgroups(const std::pair<int, int>& kernel) {
  CgroupLayout l = parse_cgroup_layout(read_or("/proc/self/mountinfo", ""));
  nlohmann::json j;
  j["mode"] = l.mode;
  if (!l.v2_mount.empty()) {
    std::string root = l.v2_mount;
    j["v2_mount"] = root;
    j["v2_options"] = l.v2_options;
    j["nsdelegate"] = has_controller(l.v2_options, "nsdelegate");
    j["controllers"] = parse_controllers(cgroup_read(root + "/cgroup.controllers"));
    j["subtree_control"] = parse_controllers(cgroup_read(root + "/cgroup.subtree_control"));
    // The real root cgroup has no cgroup.type: a mount whose root has one is a cgroup namespace's
    // (berth in a container), where the "no internal processes" rule applies.
    struct stat st;
    j["nested"] = ::stat((root + "/cgroup.type").c_str(), &st) == 0;
    j["cgroup_kill"] = kernel >= std::pair<int, int>{5, 14};
  }
  if (!l.v1_controllers.empty()) j["v1_controllers"] = l.v1_controllers;
  if (l.mode == "v2")
    j["containers"] = l.v2_mount + "/berth/<id>";
  else if (l.mode != "none")
    j["containers"] = "/sys/fs/cgroup/<controller>/berth/<id>";
  j["supervisors"] = daemon_cgroup_dirs();
  return j;
}

nlohmann::json probe_seccomp() {
  nlohmann::json j;
  j["available"] = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
  j["actions"] = split(read_or("/proc/sys/kernel/seccomp/actions_avail", ""), ' ');
  for (const auto& line : split(read_or("/proc/self/status", ""), '\n'))
    if (line.rfind("Seccomp:", 0) == 0) j["berth_itself_filtered"] = line.find('2') != std::string::npos;
  j["uses"] = "Docker's default profile (seccomp filter, libseccomp)";
  return j;
}

nlohmann::json probe_userns() {
  nlohmann::json j;
  std::string max = read_or("/proc/sys/user/max_user_namespaces", "");
  j["available"] = !max.empty() && max != "0";
  if (!max.empty()) j["max_user_namespaces"] = std::stoll(max);
  std::string unpriv = read_or("/proc/sys/kernel/unprivileged_userns_clone", "");
  if (!unpriv.empty()) j["unprivileged_userns_clone"] = unpriv == "1";
  j["uses"] = "no (containers share the host's user namespace, as Docker without userns-remap)";
  return j;
}

}  // namespace

CgroupLayout parse_cgroup_layout(const std::string& mountinfo) {
  CgroupLayout l;
  for (const auto& line : split(mountinfo, '\n')) {
    // id parent maj:min root mountpoint options [optional fields] - fstype source super-options
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    auto head = split(line.substr(0, dash), ' ');
    auto tail = split(line.substr(dash + 3), ' ');
    if (head.size() < 5 || tail.size() < 3) continue;
    const std::string& point = head[4];
    if (point != "/sys/fs/cgroup" && point.rfind("/sys/fs/cgroup/", 0) != 0) continue;
    if (tail[0] == "cgroup2") {
      l.v2_mount = point;
      l.v2_options = split(tail[2], ',');
    } else if (tail[0] == "cgroup") {
      for (const auto& o : split(tail[2], ','))
        if (o != "rw" && o != "ro" && o.rfind("release_agent", 0) != 0 && o != "clone_children" && o != "noprefix" &&
            o.rfind("xattr", 0) != 0)
          l.v1_controllers.push_back(o);
    }
  }
  if (!l.v1_controllers.empty())
    l.mode = l.v2_mount.empty() ? "v1" : "hybrid";
  else
    l.mode = l.v2_mount.empty() ? "none" : "v2";
  return l;
}

std::pair<int, int> kernel_version(const std::string& release) {
  int major = 0, minor = 0;
  if (std::sscanf(release.c_str(), "%d.%d", &major, &minor) != 2) return {0, 0};
  return {major, minor};
}

nlohmann::json probe_host() {
  nlohmann::json j;
  struct utsname u {};
  ::uname(&u);
  auto kv = kernel_version(u.release);
  j["kernel"] = {{"release", u.release}, {"version", u.version}, {"machine", u.machine}};
  j["cgroup"] = probe_cgroups(kv);
  j["overlayfs"] = probe_overlay();
  j["seccomp"] = probe_seccomp();
  j["user_namespaces"] = probe_userns();
  return j;
}

}  // namespace berth::engine
