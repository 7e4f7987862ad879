// The cgroup v2 tree above containers (engine/runtime/cgroup_v2_tree.hpp), on a test sub-tree of
// a v2 mount: the host's /sys/fs/cgroup when it is pure v2, else a hybrid host's
// /sys/fs/cgroup/unified. Only processes the test starts are put into it; everything made is
// removed at the end.
#include "engine/runtime/cgroup_v2_tree.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <linux/magic.h>
#include <sstream>

#include "engine/runtime/cgroup_controllers.hpp"
#include "engine/runtime/cgroup_files.hpp"

namespace berth::engine {
namespace {

namespace fs = std::filesystem;

bool is_cgroup2(const fs::path& p) {
  struct statfs sf;
  return ::statfs(p.c_str(), &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

std::vector<int> procs(const fs::path& cg) {
  std::vector<int> out;
  std::istringstream in(cgroup_read(cg / "cgroup.procs"));
  int p;
  while (in >> p) out.push_back(p);
  return out;
}

class CgroupTree : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    fs::path mount = is_cgroup2("/sys/fs/cgroup") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
    if (!is_cgroup2(mount)) GTEST_SKIP() << "no cgroup v2 mount";
    top_ = mount / ("berth-test-tree-" + std::to_string(::getpid()));
    ASSERT_TRUE(fs::create_directory(top_));
    // The processes in the test tree's root stand for those of a container's cgroup namespace root.
    for (int i = 0; i < 2; ++i) {
      pid_t p = ::fork();
      if (p == 0) {
        ::pause();
        ::_exit(0);
      }
      ASSERT_GT(p, 0);
      children_.push_back(p);
      cgroup_write(top_ / "cgroup.procs", std::to_string(p));
    }
  }
  void TearDown() override {
    for (pid_t p : children_) {
      ::kill(p, SIGKILL);
      ::waitpid(p, nullptr, 0);
    }
    if (top_.empty()) return;
    for (const char* sub : {"berth", "init", ""}) ::rmdir((top_ / sub).c_str());
    EXPECT_FALSE(fs::exists(top_)) << "test cgroup left behind: " << top_;
  }
  fs::path top_;
  std::vector<pid_t> children_;
};

TEST_F(CgroupTree, MovesEveryProcessOfACgroupIntoItsLeaf) {
  EXPECT_EQ(move_processes_to_leaf(top_, "init"), 2);
  EXPECT_TRUE(procs(top_).empty());
  auto moved = procs(top_ / "init");
  for (pid_t p : children_) EXPECT_NE(std::find(moved.begin(), moved.end(), p), moved.end()) << p;
  EXPECT_EQ(move_processes_to_leaf(top_, "init"), 0) << "nothing left to move";
}

TEST_F(CgroupTree, NothingMovesWhenNoControllerIsToBeEnabled) {
  auto got = enable_v2_controllers(top_, {});
  EXPECT_TRUE(fs::is_directory(top_ / "berth"));
  EXPECT_FALSE(fs::exists(top_ / "init")) << "processes moved without need";
  EXPECT_EQ(procs(top_).size(), 2u);
}

TEST_F(CgroupTree, ControllersNotOfferedAreLeftOut) {
  auto offered = parse_controllers(cgroup_read(top_ / "cgroup.controllers"));
  auto got = enable_v2_controllers(top_, {"memory", "pids"});
  for (const auto& c : got) EXPECT_TRUE(has_controller(offered, c)) << c;
  if (offered.empty()) {  // a hybrid host's unified mount: nothing to enable, nothing moves
    EXPECT_FALSE(fs::exists(top_ / "init"));
    EXPECT_EQ(procs(top_).size(), 2u);
  }
}

// Pure v2 with controllers (the VM suite): the "no internal processes" rule applies to the test
// tree's root as to a container's cgroup namespace root.
TEST_F(CgroupTree, OnV2EnablingControllersMovesTheRootsProcessesToALeaf) {
  auto offered = parse_controllers(cgroup_read(top_ / "cgroup.controllers"));
  if (!has_controller(offered, "pids") || !has_controller(offered, "memory"))
    GTEST_SKIP() << "memory and pids are not delegated here (" << cgroup_read(top_ / "cgroup.controllers") << ")";
  auto got = enable_v2_controllers(top_, {"memory", "pids"});
  EXPECT_TRUE(has_controller(got, "memory"));
  EXPECT_TRUE(has_controller(got, "pids"));
  EXPECT_TRUE(procs(top_).empty());
  EXPECT_EQ(procs(top_ / "init").size(), 2u);
  EXPECT_EQ(cgroup_read(top_ / "cgroup.subtree_control"), "memory pids");
  EXPECT_EQ(cgroup_read(top_ / "berth" / "cgroup.subtree_control"), "memory pids");
  // io and cpuset were not asked for.
  auto on = parse_controllers(cgroup_read(top_ / "cgroup.subtree_control"));
  EXPECT_FALSE(has_controller(on, "io"));
  EXPECT_FALSE(has_controller(on, "cpuset"));
  // A second call (the next container) finds everything in place.
  EXPECT_EQ(enable_v2_controllers(top_, {"memory"}), got);
  for (const fs::path& d : {top_ / "berth", top_})
    cgroup_write(d / "cgroup.subtree_control", "-memory -pids");  // so the tree can be removed
}

}  // namespace
}  // namespace berth::engine
