// `berth info`: what berth found on the host, as text and JSON, matching what the runtime uses.
#include <sys/statfs.h>
#include <sys/utsname.h>

#include <cstdio>

#include <filesystem>
#include <linux/magic.h>
#include <nlohmann/json.hpp>

#include "tests/support/runtime_fixture.hpp"

namespace berth::test {
namespace {

using RuntimeInfo = RuntimeTest;

TEST_F(RuntimeInfo, JsonNamesKernelCgroupModeOverlayNftablesSeccompUserns) {
  std::string out;
  ASSERT_EQ(berth("info --format json", &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  for (const char* k : {"berth", "kernel", "cgroup", "overlayfs", "nftables", "seccomp", "user_namespaces"})
    EXPECT_TRUE(j.contains(k)) << k << ": " << out;
  struct statfs sf;
  ASSERT_EQ(::statfs("/sys/fs/cgroup", &sf), 0);
  bool v2 = sf.f_type == CGROUP2_SUPER_MAGIC;
  const auto& cg = j["cgroup"];
  if (v2) {
    EXPECT_EQ(cg.value("mode", ""), "v2") << out;
    EXPECT_EQ(cg.value("containers", ""), "/sys/fs/cgroup/berth/<id>") << out;
    EXPECT_EQ(cg["supervisors"], nlohmann::json::array({"/sys/fs/cgroup/berth/supervisors"})) << out;
  } else {
    EXPECT_TRUE(cg.value("mode", "") == "v1" || cg.value("mode", "") == "hybrid") << out;
  }
  EXPECT_TRUE(j["overlayfs"].value("available", false)) << out;
  // The way the runtime mounts layers: "lowerdir+" through the new mount API from Linux 6.8 only.
  struct utsname u;
  ASSERT_EQ(::uname(&u), 0);
  int major = 0, minor = 0;
  ASSERT_EQ(std::sscanf(u.release, "%d.%d", &major, &minor), 2) << u.release;
  bool lowerdir_plus = major > 6 || (major == 6 && minor >= 8);
  EXPECT_EQ(j["overlayfs"].value("new_mount_api", "").rfind(lowerdir_plus ? "native" : "mount(2)", 0), 0u) << u.release << ": " << out;
  EXPECT_TRUE(j["seccomp"].value("available", false)) << out;
}

TEST_F(RuntimeInfo, TextAndVersionVerbose) {
  std::string out;
  ASSERT_EQ(berth("info", &out), 0) << out;
  for (const char* k : {"kernel:", "cgroup:", "overlayfs:", "nftables:", "seccomp:", "user namespaces:"})
    EXPECT_NE(out.find(k), std::string::npos) << k << ": " << out;
  std::string verbose;
  ASSERT_EQ(berth("version --verbose", &verbose), 0) << verbose;
  EXPECT_NE(verbose.find("cgroup:"), std::string::npos) << verbose;
}

}  // namespace
}  // namespace berth::test
