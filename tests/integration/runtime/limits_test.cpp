// cgroup limits: memory (enforced, OOM kills reported), pids, cpu; limits the kernel or the
// runtime refuses are clear errors that leave nothing behind.
#include <filesystem>

#include "tests/support/runtime_fixture.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class RuntimeLimits : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (IsSkipped()) return;
    v2_ = !fs::exists("/sys/fs/cgroup/memory");
  }
  // A controller file of the container's cgroup (v1 layout, or the v2 unified one).
  fs::path cgroup_file(const std::string& full_id, const std::string& controller, const std::string& v1_file,
                       const std::string& v2_file) {
    if (v2_) return fs::path("/sys/fs/cgroup/berth") / full_id / v2_file;
    return fs::path("/sys/fs/cgroup") / controller / "berth" / full_id / v1_file;
  }
  std::string full_id(const std::string& id) { return inspect(id).value("Id", ""); }
  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  bool v2_ = false;
};

TEST_F(RuntimeLimits, MemoryLimitIsEnforcedAndTheOomKillReported) {
  // dd's 64 MiB buffer cannot fit in 16 MiB: the kernel kills it (there is no swap to go to).
  std::string id = run_detached("-m 16m", "dd if=/dev/zero of=/dev/null bs=64M count=1");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_exited(id));
  auto st = inspect(id)["State"];
  EXPECT_EQ(st.value("ExitCode", 0), 137) << st.dump();
  EXPECT_TRUE(st.value("OOMKilled", false)) << st.dump();

  // The same command without the limit runs through and is not reported as OOM-killed.
  std::string free = run_detached("", "dd if=/dev/zero of=/dev/null bs=64M count=1");
  ASSERT_FALSE(free.empty());
  ASSERT_TRUE(wait_exited(free));
  st = inspect(free)["State"];
  EXPECT_EQ(st.value("ExitCode", -1), 0) << st.dump();
  EXPECT_FALSE(st.value("OOMKilled", true)) << st.dump();
}

TEST_F(RuntimeLimits, MemoryAndCpuLimitsAreWrittenToTheCgroup) {
  std::string id = run_detached("-m 32m --memory-reservation 16m --cpus 0.5", "sleep 300");
  ASSERT_FALSE(id.empty());
  std::string full = full_id(id);
  if (v2_) {
    EXPECT_EQ(trim(read_text(cgroup_file(full, "", "", "memory.max"))), "33554432");
    EXPECT_EQ(trim(read_text(cgroup_file(full, "", "", "cpu.max"))), "50000 100000");
  } else {
    EXPECT_EQ(trim(read_text(cgroup_file(full, "memory", "memory.limit_in_bytes", ""))), "33554432");
    EXPECT_EQ(trim(read_text(cgroup_file(full, "memory", "memory.soft_limit_in_bytes", ""))), "16777216");
    EXPECT_EQ(trim(read_text(cgroup_file(full, "cpu", "cpu.cfs_quota_us", ""))), "50000");
    EXPECT_EQ(trim(read_text(cgroup_file(full, "cpu", "cpu.cfs_period_us", ""))), "100000");
  }
  // The container is in that cgroup (and sees it as its root: own cgroup namespace).
  int pid = inspect(id)["State"].value("Pid", 0);
  std::string procs = read_text(v2_ ? cgroup_file(full, "", "", "cgroup.procs")
                                    : cgroup_file(full, "memory", "cgroup.procs", ""));
  EXPECT_NE(("\n" + procs).find("\n" + std::to_string(pid) + "\n"), std::string::npos) << procs;
  for (const auto& l : lines_of(exec(id, "cat /proc/1/cgroup")))
    EXPECT_EQ(l.substr(l.rfind(':')), ":/") << l;
}

TEST_F(RuntimeLimits, MemoryAloneAllowsAsMuchSwapAsMemoryAsDockerDoes) {
  std::string id = run_detached("-m 32m", "sleep 300");
  ASSERT_FALSE(id.empty());
  std::string full = full_id(id);
  // v2: memory.swap.max is the swap alone; v1: memsw is memory + swap.
  fs::path f = cgroup_file(full, "memory", "memory.memsw.limit_in_bytes", "memory.swap.max");
  if (!fs::exists(f)) GTEST_SKIP() << "no swap accounting on this kernel (" << f << " absent)";
  EXPECT_EQ(trim(read_text(f)), v2_ ? "33554432" : "67108864");
}

TEST_F(RuntimeLimits, OnV2TheContainerSeesItsOwnCgroupReadOnlyAtSysFsCgroup) {
  if (!v2_) GTEST_SKIP() << "cgroup v1 host: containers get no cgroup mount";
  std::string id = run_detached("-m 32m --cpus 0.5 --pids-limit 50", "sleep 300");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(trim(exec(id, "cat /sys/fs/cgroup/memory.max")), "33554432");
  EXPECT_EQ(trim(exec(id, "cat /sys/fs/cgroup/cpu.max")), "50000 100000");
  EXPECT_EQ(trim(exec(id, "cat /sys/fs/cgroup/pids.max")), "50");
  std::string mount = exec(id, "grep ' /sys/fs/cgroup ' /proc/self/mountinfo");
  EXPECT_NE(mount.find(" cgroup2 "), std::string::npos) << mount;
  EXPECT_NE(mount.find(" / /sys/fs/cgroup ro,"), std::string::npos) << "its namespace root, read-only: " << mount;
  int rc = 0;
  std::string out = exec(id, "sh -c " + quote("echo 1 >/sys/fs/cgroup/pids.max"), &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_EQ(trim(read_text(cgroup_file(full_id(id), "", "", "pids.max"))), "50");
}

TEST_F(RuntimeLimits, PidsLimitStopsForks) {
  std::string id = run_detached("--pids-limit 6", "sleep 300");
  ASSERT_FALSE(id.empty());
  std::string full = full_id(id);
  EXPECT_EQ(trim(read_text(cgroup_file(full, "pids", "pids.max", "pids.max"))), "6");
  // A shell started by exec (which joins the cgroup) cannot fork 8 sleeps into a 6-process cgroup.
  // (The sleeps' output goes elsewhere, or they would hold the exec's output pipe open.)
  std::string out = exec(id, "sh -c " + quote("for i in 1 2 3 4 5 6 7 8; do sleep 300 >/dev/null 2>&1 & done"));
  EXPECT_NE(out.find("can't fork"), std::string::npos) << out;
  EXPECT_LE(std::stoi(read_text(cgroup_file(full, "pids", "pids.current", "pids.current"))), 6);
  std::string events = read_text(cgroup_file(full, "pids", "pids.events", "pids.events"));
  ASSERT_EQ(events.rfind("max ", 0), 0u) << events;
  EXPECT_GT(std::stoi(events.substr(4)), 0) << events;
}

TEST_F(RuntimeLimits, InvalidLimitsAreClearErrorsAndLeaveNothing) {
  struct Case {
    std::string flags, message;
  };
  for (const Case& c : {Case{"-m 1k", "minimum memory limit allowed is 6MB"},
                        Case{"-m lots", "--memory: invalid size \"lots\""},
                        Case{"--pids-limit -5", "invalid pids_limit"},
                        Case{"--cpus -1", "invalid cpus"},
                        Case{"-m 64m --memory-swap 32m", "must be larger than the memory limit"},
                        Case{"--cpuset-cpus 0-x", "invalid cpuset"},
                        Case{"--restart sometimes", "restart"},
                        Case{"--log-opt max-file=0", "max-file"}}) {
    std::string out;
    EXPECT_NE(berth("container run -d " + c.flags + " " + image() + " sleep 300", &out), 0) << c.flags;
    EXPECT_NE(out.find(c.message), std::string::npos) << c.flags << ": " << out;
    EXPECT_EQ(lines_of(out).size(), 1u) << "one line, not a stack: " << out;
    EXPECT_TRUE(all_ids().empty()) << c.flags;
  }
  std::error_code ec;
  EXPECT_TRUE(!fs::exists(root() / "containers", ec) || fs::is_empty(root() / "containers", ec));
}

TEST_F(RuntimeLimits, ALimitTheKernelRefusesFailsTheStartAndLeavesNoCgroup) {
  // CPU 99 does not exist: the cpuset controller refuses it when the cgroup is made.
  std::string out, err;
  ASSERT_EQ(berth_split("container create --cpuset-cpus 99 " + image() + " sleep 300", &out, &err), 0) << err;
  std::string id = lines_of(out).back();
  EXPECT_NE(berth("container start " + id, &out), 0);
  EXPECT_NE(out.find("cpuset.cpus"), std::string::npos) << out;
  EXPECT_EQ(status(id), "created");
  for (const char* c : {"memory", "cpu", "cpuset", "pids", "freezer"})
    EXPECT_FALSE(fs::exists(fs::path("/sys/fs/cgroup") / c / "berth" / id)) << c;
  EXPECT_EQ(monitor_pid(id), 0) << "no monitor was started";
  ASSERT_EQ(berth("container rm " + id, &out), 0) << out;
  EXPECT_EQ(leftovers(id, 0, 0), "");

  // `run` of the same removes what it created.
  EXPECT_NE(berth("container run -d --cpuset-cpus 99 " + image() + " sleep 300", &out), 0);
  EXPECT_NE(out.find("cpuset.cpus"), std::string::npos) << out;
  EXPECT_TRUE(all_ids().empty());
}

// Where the memory controller does not reach berth's cgroups (scripts/test-in-vm.sh --cgroup
// nodeleg) a container without limits still runs and -m is one line naming the controller, where
// it is missing and what to do; where it is delegated the limit lands.
TEST_F(RuntimeLimits, OnV2ALimitNeedsItsControllerOrSaysWhichIsMissing) {
  bool delegated = (" " + trim(read_text("/sys/fs/cgroup/cgroup.controllers")) + " ").find(" memory ") != std::string::npos;
  std::string plain = run_detached("", "sleep 300");
  ASSERT_FALSE(plain.empty());
  EXPECT_EQ(status(plain), "running");
  std::string out;
  ASSERT_EQ(berth("container rm -f " + plain, &out), 0) << out;

  int rc = berth("container run -d -m 32m " + image() + " sleep 300", &out);
  if (delegated) {
    ASSERT_EQ(rc, 0) << out;
    std::string id = lines_of(out).back();
    EXPECT_EQ(trim(read_text(cgroup_file(full_id(id), "", "", "memory.max"))), "33554432");
    berth("container rm -f " + id);
    return;
  }
  EXPECT_NE(rc, 0) << out;
  EXPECT_EQ(lines_of(out).size(), 1u) << "one line, not a stack: " << out;
  for (const char* part : {"memory controller is not delegated to /sys/fs/cgroup", "--memory", "drop the limit"})
    EXPECT_NE(out.find(part), std::string::npos) << part << ": " << out;
  EXPECT_TRUE(all_ids().empty());
}

}  // namespace
}  // namespace berth::test
