// Compose's devices, device_cgroup_rules and privileged through `up`: the long form keeps its
// target and permissions; a service without them gets the default device policy.
#include <sys/stat.h>

#include "tests/integration/orchestrate/project_fixture.hpp"

namespace berth::test {
namespace {

using ComposeDevices = ProjectTest;

TEST_F(ComposeDevices, DevicesRulesAndPrivilegedReachTheContainers) {
  struct stat st;
  if (::stat("/dev/loop-control", &st) != 0) GTEST_SKIP() << "no /dev/loop-control on this host";
  write(R"(services:
  granted:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    devices:
      - source: /dev/loop-control
        target: /dev/lc
        permissions: r
    device_cgroup_rules: ["b 7:* r"]
  plain:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
  all:
    image: berth-examples/busybox:latest
    command: ["sleep", "300"]
    privileged: true
)");
  std::string out;
  ASSERT_EQ(berth("up -d", &out), 0) << out;
  // dd count=0: the device is opened, nothing is read or written.
  EXPECT_EQ(berth("exec -T granted dd if=/dev/lc of=/dev/null count=0", &out), 0) << out;
  EXPECT_NE(berth("exec -T granted dd if=/dev/zero of=/dev/lc count=0", &out), 0) << "r only: " << out;
  EXPECT_NE(out.find("Operation not permitted"), std::string::npos) << out;
  berth("exec -T granted sh -c 'mknod /tmp/loop0 b 7 0 && dd if=/tmp/loop0 of=/dev/null count=0'", &out);
  EXPECT_EQ(out.find("Operation not permitted"), std::string::npos) << "allowed by the rule: " << out;

  EXPECT_NE(berth("exec -T plain sh -c 'mknod /tmp/loop0 b 7 0 && dd if=/tmp/loop0 of=/dev/null count=0'", &out), 0);
  EXPECT_NE(out.find("Operation not permitted"), std::string::npos) << out;
  EXPECT_NE(berth("exec -T plain ls /dev/lc", &out), 0) << out;

  EXPECT_EQ(berth("exec -T all dd if=/dev/loop-control of=/dev/null count=0", &out), 0) << out;
}

}  // namespace
}  // namespace berth::test
