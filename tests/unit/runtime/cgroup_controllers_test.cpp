#include "engine/runtime/cgroup_controllers.hpp"

#include <gtest/gtest.h>

namespace berth::engine {
namespace {

using V = std::vector<std::string>;

TEST(CgroupControllers, NoLimitsNeedNothingButUseMemoryAndPids) {
  auto n = controllers_for(Resources{});
  EXPECT_EQ(n.required, V{});
  EXPECT_EQ(n.optional, (V{"memory", "pids"}));
}

TEST(CgroupControllers, EachLimitRequiresItsController) {
  Resources mem;
  mem.memory = 1 << 20;
  EXPECT_EQ(controllers_for(mem).required, V{"memory"});
  Resources res;
  res.memory_reservation = 1 << 20;
  EXPECT_EQ(controllers_for(res).required, V{"memory"});
  Resources cpus;
  cpus.cpus = 0.5;
  EXPECT_EQ(controllers_for(cpus).required, V{"cpu"});
  Resources shares;
  shares.cpu_shares = 512;
  EXPECT_EQ(controllers_for(shares).required, V{"cpu"});
  Resources set;
  set.cpuset_cpus = "0";
  EXPECT_EQ(controllers_for(set).required, V{"cpuset"});
  Resources pids;
  pids.pids_limit = 10;
  EXPECT_EQ(controllers_for(pids).required, V{"pids"});
  EXPECT_EQ(controllers_for(pids).optional, V{"memory"});
}

TEST(CgroupControllers, UnlimitedPidsDoesNotRequirePids) {
  Resources r;
  r.pids_limit = -1;
  EXPECT_EQ(controllers_for(r).required, V{});
}

TEST(CgroupControllers, IoIsNeverEnabled) {
  Resources r;
  r.memory = 1;
  r.cpus = 1;
  r.cpuset_cpus = "0";
  r.pids_limit = 5;
  auto n = controllers_for(r);
  EXPECT_EQ(n.required, (V{"memory", "cpu", "cpuset", "pids"}));
  EXPECT_FALSE(has_controller(n.required, "io"));
  EXPECT_FALSE(has_controller(n.optional, "io"));
}

TEST(CgroupControllers, ParsesControllerLists) {
  EXPECT_EQ(parse_controllers("cpuset cpu io memory pids\n"), (V{"cpuset", "cpu", "io", "memory", "pids"}));
  EXPECT_EQ(parse_controllers("\n"), V{});
  EXPECT_TRUE(has_controller(V{"cpu", "pids"}, "pids"));
  EXPECT_FALSE(has_controller(V{"cpuset"}, "cpu"));
}

TEST(CgroupControllers, MissingControllerMessageIsOneLineNamingAll) {
  std::string m = missing_controller_message("memory", "/sys/fs/cgroup", V{"cpu", "pids"});
  EXPECT_EQ(m.find('\n'), std::string::npos);
  EXPECT_NE(m.find("memory controller"), std::string::npos) << m;
  EXPECT_NE(m.find("/sys/fs/cgroup"), std::string::npos) << m;
  EXPECT_NE(m.find("cpu pids"), std::string::npos) << m;
  EXPECT_NE(m.find("--memory"), std::string::npos) << m;
  EXPECT_NE(m.find("delegate"), std::string::npos) << m;
  EXPECT_NE(m.find("drop the limit"), std::string::npos) << m;
  EXPECT_NE(missing_controller_message("pids", "/x", {}).find("none"), std::string::npos);
}

}  // namespace
}  // namespace berth::engine
