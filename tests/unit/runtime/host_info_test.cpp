#include "engine/runtime/host_info.hpp"

#include <gtest/gtest.h>

namespace berth::engine {
namespace {

using V = std::vector<std::string>;

TEST(HostInfo, PureV2WithNsdelegate) {
  auto l = parse_cgroup_layout(
      "22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
      "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n");
  EXPECT_EQ(l.mode, "v2");
  EXPECT_EQ(l.v2_mount, "/sys/fs/cgroup");
  EXPECT_EQ(l.v2_options, (V{"rw", "nsdelegate", "memory_recursiveprot"}));
  EXPECT_TRUE(l.v1_controllers.empty());
}

TEST(HostInfo, HybridIsV1ControllersPlusAUnifiedMount) {
  auto l = parse_cgroup_layout(
      "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
      "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
      "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
  EXPECT_EQ(l.mode, "hybrid");
  EXPECT_EQ(l.v2_mount, "/sys/fs/cgroup/unified");
  EXPECT_EQ(l.v1_controllers, (V{"cpu", "cpuacct", "memory", "name=systemd"}));
}

TEST(HostInfo, V1OnlyAndNone) {
  EXPECT_EQ(parse_cgroup_layout("34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n").mode, "v1");
  EXPECT_EQ(parse_cgroup_layout("22 1 0:21 / /sys rw - sysfs sysfs rw\n").mode, "none");
  // A cgroup2 mount elsewhere (a test's) is not the host's layout.
  EXPECT_EQ(parse_cgroup_layout("50 1 0:40 / /mnt/cg rw - cgroup2 none rw\n").mode, "none");
}

TEST(HostInfo, KernelVersion) {
  EXPECT_EQ(kernel_version("6.1.0-18-amd64"), (std::pair<int, int>{6, 1}));
  EXPECT_EQ(kernel_version("5.10.0-28-amd64"), (std::pair<int, int>{5, 10}));
  EXPECT_EQ(kernel_version("6.18.44-fc-v1272"), (std::pair<int, int>{6, 18}));
  EXPECT_EQ(kernel_version("garbage"), (std::pair<int, int>{0, 0}));
}

TEST(HostInfo, ProbeReportsEverySection) {
  auto j = probe_host();
  for (const char* k : {"kernel", "cgroup", "overlayfs", "seccomp", "user_namespaces"}) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_FALSE(j["kernel"].value("release", "").empty());
  EXPECT_FALSE(j["cgroup"].value("mode", "").empty());
}

}  // namespace
}  // namespace berth::engine
