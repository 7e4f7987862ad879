// A container's command starts as a fresh process: default signal dispositions and an empty mask
// (the monitor ignores SIGPIPE: inherited, `yes | head` never ended), and resource limits from
// berth's baseline and the spec, not from the shell that ran berth.
#include <sys/resource.h>

#include <fstream>

#include "tests/integration/security/security_fixture.hpp"

namespace berth::test {
namespace {

class CleanProcessState : public SecurityTest {
 protected:
  static std::string field(const std::string& status, const std::string& key) {
    for (const auto& l : lines_of(status))
      if (l.rfind(key + ":\t", 0) == 0) return l.substr(key.size() + 2);
    return "?";
  }
};

TEST_F(CleanProcessState, SignalsStartAtTheirDefaults) {
  constexpr const char* kNone = "0000000000000000";
  for (const char* flags : {"", "--init"}) {
    std::string id = run_probe(flags, "sleep 300");
    ASSERT_FALSE(id.empty());
    // The exec'd process, and (without --init) the command as PID 1.
    std::string self = exec(id, "cat /proc/self/status");
    EXPECT_EQ(field(self, "SigIgn"), kNone) << flags;
    EXPECT_EQ(field(self, "SigBlk"), kNone) << flags;
    if (*flags == '\0') {
      std::string one = exec(id, "cat /proc/1/status");
      EXPECT_EQ(field(one, "SigIgn"), kNone);
      EXPECT_EQ(field(one, "SigBlk"), kNone);
    }
    std::string out;
    EXPECT_EQ(berth("container rm -f " + id, &out), 0) << out;
  }
  // The command under --init (the reaper's child) too.
  std::string out;
  EXPECT_EQ(berth("container run --rm --init " + std::string(kProbeImage) + " cat /proc/self/status", &out), 0);
  EXPECT_EQ(field(out, "SigIgn"), kNone) << out;
  EXPECT_EQ(field(out, "SigBlk"), kNone) << out;
}

TEST_F(CleanProcessState, YesPipedIntoHeadEnds) {
  std::string out;
  // With SIGPIPE ignored, `yes` spins forever on EPIPE: `timeout` would end the run with 124.
  int rc = shell("timeout 20 " + berth_command("container run --rm " + std::string(kProbeImage) +
                                               " sh -c " + quote("yes | head -n 2; echo done")), &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "y\ny\ndone\n");
}

TEST_F(CleanProcessState, LimitsComeFromTheBaselineNotTheCaller) {
  struct rlimit host_stack {};
  ASSERT_EQ(::prlimit(1, RLIMIT_STACK, nullptr, &host_stack), 0);
  std::string host_kib = host_stack.rlim_cur == RLIM_INFINITY ? "unlimited" : std::to_string(host_stack.rlim_cur / 1024);
  ASSERT_NE(host_kib, "1234");
  // The caller lowered its open files, stack and core limits; none of that reaches the container.
  std::string script = "ulimit -Sn 77; ulimit -Ss 1234; " +
                       berth_command("container run -d " + std::string(kProbeImage) + " sleep 300");
  std::string out;
  ASSERT_EQ(shell(script, &out), 0) << out;
  std::string id = lines_of(out).back();
  for (const char* who : {"1", "self"}) {
    std::string limits = exec(id, "cat /proc/" + std::string(who) + "/limits");
    EXPECT_NE(limits.find("Max open files            1024"), std::string::npos) << who << "\n" << limits;
    EXPECT_EQ(limits.find(" 1263616 "), std::string::npos) << who << "\n" << limits;  // 1234 KiB
  }
  EXPECT_EQ(exec(id, "sh -c 'ulimit -s'"), host_kib + "\n");
  // Nor does its umask: 022 as runc sets, and the container can read and change it (seccomp).
  ASSERT_EQ(shell("umask 077; " + berth_command("container exec " + id + " sh -c " +
                                                 quote("umask; umask 027 && umask")), &out), 0) << out;
  EXPECT_EQ(out, "0022\n0027\n");
  // An exec from a caller with other limits gets the container's.
  ASSERT_EQ(shell("ulimit -Sn 55; " + berth_command("container exec " + id + " sh -c 'ulimit -n'"), &out), 0) << out;
  EXPECT_EQ(out, "1024\n");
}

}  // namespace
}  // namespace berth::test
