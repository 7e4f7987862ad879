// A service's devices, device_cgroup_rules and privileged reach the runtime's ContainerSpec as
// given (the runtime turns them into the container's device policy).
#include <gtest/gtest.h>

#include "compose/orchestrate/container_spec.hpp"

using namespace berth::compose;
using namespace berth::compose::orchestrate;

TEST(ContainerSpecDevices, DevicesRulesAndPrivilegedAreCarried) {
  Project p;
  p.name = "proj";
  Service s;
  s.name = "app";
  s.image = "busybox";
  s.command = std::vector<std::string>{"true"};
  s.devices = {"/dev/fuse", "/dev/dri/renderD128:/dev/dri/card0:rw"};
  s.device_cgroup_rules = {"c 1:3 mr", "b 7:* r"};
  s.privileged = true;
  p.services["app"] = s;
  SpecInput in;
  in.project = &p;
  in.service = &p.services["app"];
  in.name = "proj-app-1";
  auto spec = build_spec(in);
  EXPECT_EQ(spec.devices, s.devices);
  EXPECT_EQ(spec.device_cgroup_rules, s.device_cgroup_rules);
  EXPECT_TRUE(spec.privileged);
}
