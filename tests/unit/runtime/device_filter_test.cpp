// The cgroup v2 device policy: the BPF program's shape, and (as root, where a cgroup2 hierarchy is
// mounted: /sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified on a hybrid one) the program loaded
// and attached to a test cgroup, with a child process moved into it trying device nodes.
#include "engine/runtime/device_filter.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "tests/support/privileged.hpp"

namespace berth::engine {
namespace {

namespace fs = std::filesystem;

TEST(DeviceFilterProgram, OneBlockPerRuleAndDenyAtTheEnd) {
  auto prog = device_filter_program(default_device_rules());
  int exits = 0;
  for (std::size_t i = 0; i < prog.size(); ++i) {
    if (prog[i].code == (BPF_JMP | BPF_EXIT)) ++exits;
    if (BPF_CLASS(prog[i].code) == BPF_JMP && BPF_OP(prog[i].code) == BPF_JNE) {
      EXPECT_GT(prog[i].off, 0) << "at " << i;
      EXPECT_LT(i + 1 + prog[i].off, prog.size()) << "a jump past the end at " << i;
      // It lands on the first instruction of the next block (or the final deny): right after an exit.
      EXPECT_EQ(prog[i + prog[i].off].code, BPF_JMP | BPF_EXIT) << "at " << i;
    }
  }
  EXPECT_EQ(exits, static_cast<int>(default_device_rules().size()) + 1);
  ASSERT_GE(prog.size(), 2u);
  EXPECT_EQ(prog[prog.size() - 2].code, BPF_ALU64 | BPF_MOV | BPF_K);
  EXPECT_EQ(prog[prog.size() - 2].imm, 0) << "no match: deny";

  auto all = device_filter_program({DeviceRule{'a', -1, -1, "rwm", true}});
  EXPECT_EQ(all.size(), 6u + 2u) << "prologue and an unconditional allow: nothing unreachable (the verifier refuses it)";
  EXPECT_EQ(all[6].imm, 1);
}

// ---- attached, as root ---------------------------------------------------------------------

fs::path cgroup2_mount() {
  std::ifstream in("/proc/self/mounts");
  std::string dev, dir, type, rest;
  while (in >> dev >> dir >> type && std::getline(in, rest))
    if (type == "cgroup2") return dir;
  return {};
}

class DeviceFilterCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    BERTH_REQUIRE_ROOT();
    fs::path mount = cgroup2_mount();
    if (mount.empty()) GTEST_SKIP() << "no cgroup2 hierarchy mounted";
    dir_ = mount / ("berth-devtest-" + std::to_string(::getpid()));
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0) << dir_ << ": " << std::strerror(errno);
    char tmpl[] = "/tmp/berth-devnodes-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    nodes_ = tmpl;
  }
  void TearDown() override {
    if (!nodes_.empty()) fs::remove_all(nodes_);
    if (!dir_.empty()) {
      EXPECT_EQ(::rmdir(dir_.c_str()), 0) << dir_ << ": " << std::strerror(errno);
      EXPECT_FALSE(fs::exists(dir_));
    }
  }

  // Runs `body` in a child moved into the test cgroup; returns its exit status (0 = all as expected).
  int in_cgroup(const std::function<int()>& body) {
    pid_t pid = ::fork();
    if (pid == 0) {
      std::ofstream procs(dir_ / "cgroup.procs");
      procs << "0" << std::flush;
      if (!procs) ::_exit(100);
      ::_exit(body());
    }
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
  }

  // 0: opened; otherwise the errno.
  static int try_open(const char* path, int flags) {
    int fd = ::open(path, flags | O_CLOEXEC);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
  }

  fs::path dir_, nodes_;
};

TEST_F(DeviceFilterCgroup, TheDefaultPolicyAllowsOnlyDockersDevices) {
  attach_device_filter(dir_, default_device_rules());
  EXPECT_EQ(attached_device_programs(dir_).size(), 1u);
  std::string kmsg_copy = (nodes_ / "kmsg").string(), loop_copy = (nodes_ / "loop7").string();
  int rc = in_cgroup([&] {
    if (try_open("/dev/null", O_RDWR) != 0) return 1;
    if (try_open("/dev/zero", O_RDONLY) != 0) return 2;
    if (try_open("/dev/urandom", O_RDONLY) != 0) return 3;
    if (try_open("/dev/kmsg", O_RDONLY) != EPERM) return 4;
    if (try_open("/dev/kmsg", O_WRONLY) != EPERM) return 5;
    // mknod is allowed (m), opening what was made is not: a node "shipped in an image" or made.
    if (::mknod(kmsg_copy.c_str(), S_IFCHR | 0600, makedev(1, 11)) != 0) return 6;
    if (try_open(kmsg_copy.c_str(), O_WRONLY) != EPERM) return 7;
    if (::mknod(loop_copy.c_str(), S_IFBLK | 0600, makedev(7, 0)) != 0) return 8;
    if (try_open(loop_copy.c_str(), O_RDONLY) != EPERM) return 9;
    return 0;
  });
  EXPECT_EQ(rc, 0) << "failed step " << rc;
}

TEST_F(DeviceFilterCgroup, AReplacedPolicyIsAttachedBeforeTheOldOneGoes) {
  attach_device_filter(dir_, default_device_rules());
  auto first = attached_device_programs(dir_);
  ASSERT_EQ(first.size(), 1u);
  auto rules = default_device_rules();
  rules.push_back(parse_device_rule("c 1:11 r"));  // /dev/kmsg, read only
  attach_device_filter(dir_, rules);
  auto second = attached_device_programs(dir_);
  ASSERT_EQ(second.size(), 1u) << "the old program is detached";
  EXPECT_NE(second[0], first[0]);
  int rc = in_cgroup([] {
    if (try_open("/dev/kmsg", O_RDONLY | O_NONBLOCK) != 0) return 1;
    if (try_open("/dev/kmsg", O_WRONLY) != EPERM) return 2;
    if (try_open("/dev/null", O_RDWR) != 0) return 3;
    return 0;
  });
  EXPECT_EQ(rc, 0) << "failed step " << rc;
}

TEST_F(DeviceFilterCgroup, AllDevicesForPrivileged) {
  attach_device_filter(dir_, {parse_device_rule("a *:* rwm")});
  int rc = in_cgroup([] {
    if (try_open("/dev/kmsg", O_RDONLY | O_NONBLOCK) != 0) return 1;
    if (try_open("/dev/null", O_RDWR) != 0) return 2;
    return 0;
  });
  EXPECT_EQ(rc, 0) << "failed step " << rc;
}

TEST_F(DeviceFilterCgroup, FailuresNameTheCgroupAndTheCall) {
  try {
    attach_device_filter(dir_ / "no-such-cgroup", default_device_rules());
    ADD_FAILURE() << "attached to a missing cgroup";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find((dir_ / "no-such-cgroup").string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace berth::engine
