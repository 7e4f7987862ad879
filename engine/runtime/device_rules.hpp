#pragma once
// The device policy of a container (issue 23): which device nodes its processes may open (r, w)
// or create (m), as cgroup device rules. Applied through the v1 devices controller
// (devices.deny / devices.allow) or, on cgroup v2, by a BPF_PROG_TYPE_CGROUP_DEVICE program
// (engine/runtime/device_filter.hpp). Everything not allowed is denied.
#include <cstdint>
#include <string>
#include <vector>

namespace berth::engine {

struct ContainerSpec;

struct DeviceRule {
  char type = 'a';          // 'a' (all), 'c' (char), 'b' (block)
  std::int64_t major = -1;  // -1: any ("*")
  std::int64_t minor = -1;
  std::string access = "rwm";  // non-empty subset of "rwm", in that order
  bool allow = true;

  bool operator==(const DeviceRule&) const = default;
};

// "c 1:3 rwm", "b *:* m", "a" (a *:* rwm), "c 136:* rw" (the devices.allow / --device-cgroup-rule
// syntax). Throws UserError naming the rule when it is not one.
DeviceRule parse_device_rule(const std::string& text);
// The devices.allow / devices.deny form: "c 1:3 rwm", "a *:* rwm".
std::string to_string(const DeviceRule& r);

// Docker's effective default: what moby's oci.DefaultLinuxSpec and runc's AllowedDevices give a
// container that is not privileged.
const std::vector<DeviceRule>& default_device_rules();

// One --device / compose `devices:` entry: HOST[:CONTAINER][:PERMS].
struct DeviceMapping {
  std::string host_path;
  std::string container_path;  // defaults to host_path
  std::string permissions = "rwm";
};
// Throws UserError for a relative path or permissions other than a subset of "rwm".
DeviceMapping parse_device_mapping(const std::string& text);

// The full rule list of a container: privileged -> a *:* rwm; otherwise the defaults, one rule per
// --device (the host node's type and numbers, so its host path must be a device node: UserError
// if not) and the spec's device_cgroup_rules, in that order.
std::vector<DeviceRule> container_device_rules(const ContainerSpec& spec);

}  // namespace berth::engine
