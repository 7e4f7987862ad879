#include "engine/runtime/device_rules.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "base/error.hpp"
#include "engine/runtime/runtime.hpp"

namespace berth::engine {
namespace {

bool parse_number(const std::string& s, std::int64_t& out) {
  if (s == "*") {
    out = -1;
    return true;
  }
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::stoll(s);
  return true;
}

// A non-empty subset of "rwm" (any order, no repeats), returned in "rwm" order.
bool normalize_access(const std::string& s, std::string& out) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s)
    if ((c != 'r' && c != 'w' && c != 'm') || s.find(c) != s.rfind(c)) return false;
  out.clear();
  for (char c : {'r', 'w', 'm'})
    if (s.find(c) != std::string::npos) out += c;
  return true;
}

DeviceRule chr(std::int64_t major, std::int64_t minor, const char* access = "rwm") {
  return DeviceRule{'c', major, minor, access, true};
}

}  // namespace

DeviceRule parse_device_rule(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return UserError("invalid device cgroup rule \"" + text + "\": " + why +
                     " (TYPE MAJOR:MINOR ACCESS, e.g. \"c 1:3 rwm\" or \"b 8:* r\"; TYPE a, b or c, * for any number, ACCESS of r, w, m)");
  };
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j;
  }
  if (words.empty()) throw bad("empty");
  DeviceRule r;
  if (words[0].size() != 1 || (words[0][0] != 'a' && words[0][0] != 'b' && words[0][0] != 'c'))
    throw bad("type must be a, b or c");
  r.type = words[0][0];
  if (words.size() == 1) {
    if (r.type != 'a') throw bad("missing MAJOR:MINOR");
    return r;  // "a" alone: every device, rwm (the kernel's shorthand)
  }
  if (words.size() > 3) throw bad("too many fields");
  auto colon = words[1].find(':');
  if (colon == std::string::npos || !parse_number(words[1].substr(0, colon), r.major) ||
      !parse_number(words[1].substr(colon + 1), r.minor))
    throw bad("MAJOR:MINOR must be numbers or *");
  if (words.size() == 3 && !normalize_access(words[2], r.access)) throw bad("access must be made of r, w and m");
  if (r.type == 'a' && (r.major != -1 || r.minor != -1)) throw bad("type a takes *:*");
  return r;
}

std::string to_string(const DeviceRule& r) {
  auto num = [](std::int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
  return std::string(1, r.type) + " " + num(r.major) + ":" + num(r.minor) + " " + r.access;
}

const std::vector<DeviceRule>& default_device_rules() {
  // Docker = moby's oci.DefaultLinuxSpec (deny all; allow null, zero, full, random, urandom, tty,
  // console; deny fuse) merged by runc with its specconv.AllowedDevices (mknod of any char and
  // block device, ptmx, /dev/pts/*, tun). /dev/fuse (c 10:229) is NOT allowed by default: moby
  // denies it explicitly ("fuse" in the issue means: as Docker does, i.e. only with
  // `--device /dev/fuse`), and runc only has it commented out.
  static const std::vector<DeviceRule> rules = {
      DeviceRule{'c', -1, -1, "m", true},  // mknod of any device (opening it is still denied)
      DeviceRule{'b', -1, -1, "m", true},
      chr(1, 3),    // /dev/null
      chr(1, 5),    // /dev/zero
      chr(1, 7),    // /dev/full
      chr(1, 8),    // /dev/random
      chr(1, 9),    // /dev/urandom
      chr(5, 0),    // /dev/tty
      chr(5, 1),    // /dev/console
      chr(5, 2),    // /dev/ptmx
      chr(136, -1), // /dev/pts/*
      chr(10, 200), // /dev/net/tun
  };
  return rules;
}

DeviceMapping parse_device_mapping(const std::string& text) {
  DeviceMapping m;
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    auto colon = text.find(':', start);
    parts.push_back(text.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  auto bad = [&](const std::string& why) {
    return UserError("invalid device \"" + text + "\": " + why + " (HOST[:CONTAINER][:PERMISSIONS], e.g. /dev/fuse or /dev/sdc:/dev/xvdc:r)");
  };
  if (parts.size() > 3) throw bad("too many fields");
  m.host_path = parts[0];
  if (m.host_path.empty() || m.host_path[0] != '/') throw bad("the host path must be absolute");
  m.container_path = m.host_path;
  std::optional<std::string> perms;
  if (parts.size() == 2) {
    // Docker: a second field without a slash is the permissions.
    if (!parts[1].empty() && parts[1][0] == '/')
      m.container_path = parts[1];
    else
      perms = parts[1];
  } else if (parts.size() == 3) {
    m.container_path = parts[1];
    perms = parts[2];
  }
  if (m.container_path.empty() || m.container_path[0] != '/') throw bad("the container path must be absolute");
  if (perms && !normalize_access(*perms, m.permissions)) throw bad("permissions must be made of r, w and m");
  return m;
}

std::vector<DeviceRule> container_device_rules(const ContainerSpec& spec) {
  if (spec.privileged) return {DeviceRule{'a', -1, -1, "rwm", true}};
  std::vector<DeviceRule> rules = default_device_rules();
  for (const auto& d : spec.devices) {
    DeviceMapping m = parse_device_mapping(d);
    struct stat st;
    if (::stat(m.host_path.c_str(), &st) != 0)
      throw UserError("device " + m.host_path + ": " + std::strerror(errno));
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) throw UserError("device " + m.host_path + " is not a device node");
    rules.push_back(DeviceRule{S_ISCHR(st.st_mode) ? 'c' : 'b', static_cast<std::int64_t>(major(st.st_rdev)),
                               static_cast<std::int64_t>(minor(st.st_rdev)), m.permissions, true});
  }
  for (const auto& r : spec.device_cgroup_rules) rules.push_back(parse_device_rule(r));
  return rules;
}

}  // namespace berth::engine
