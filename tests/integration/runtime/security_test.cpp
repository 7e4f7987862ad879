// Confinement by default, like Docker's: the default capability set (cap_add, cap_drop,
// privileged), seccomp filter mode with Docker's profile, no_new_privs on request.
#include <cstdlib>
#include <fstream>
#include <map>

#include "tests/support/runtime_fixture.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {
namespace {

class RuntimeSecurity : public RuntimeTest {
 protected:
  // "Key:\tvalue" lines of /proc/<which>/status inside the container.
  std::map<std::string, std::string> proc_status(const std::string& id, const std::string& which = "self",
                                                 const std::string& exec_flags = "") {
    std::map<std::string, std::string> out;
    for (const auto& l : lines_of(exec(exec_flags + " " + id, "cat /proc/" + which + "/status"))) {
      auto colon = l.find(':');
      if (colon == std::string::npos) continue;
      auto v = l.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      out[l.substr(0, colon)] = v;
    }
    return out;
  }
};

// Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
// NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
constexpr const char* kDockerDefault = "00000000a80425fb";

// "All" capabilities are those of the runtime's own bounding set (Docker's rule too): on a host
// that dropped some (this one lacks CAP_SYS_MODULE), a privileged container must still start.
std::string all_caps_mask() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("CapBnd:\t", 0) == 0) return line.substr(8);
  return "?";
}

TEST_F(RuntimeSecurity, DefaultCapabilitiesAreDockersAndSeccompIsOn) {
  std::string id = run_detached("", "sleep 300");
  ASSERT_FALSE(id.empty());
  for (const char* who : {"1", "self"}) {  // the command itself, and an exec'd process
    auto st = proc_status(id, who);
    EXPECT_EQ(st["CapEff"], kDockerDefault) << who;
    EXPECT_EQ(st["CapPrm"], kDockerDefault) << who;
    EXPECT_EQ(st["CapBnd"], kDockerDefault) << who;
    EXPECT_EQ(st["CapInh"], "0000000000000000") << who;
    EXPECT_EQ(st["CapAmb"], "0000000000000000") << who;
    EXPECT_EQ(st["Seccomp"], "2") << who;
    EXPECT_EQ(st["NoNewPrivs"], "0") << who;  // Docker's default too
  }
  // What the set leaves out is refused: mounting needs CAP_SYS_ADMIN.
  int rc = 0;
  std::string out = exec(id, "mount -t tmpfs none /mnt", &rc);
  EXPECT_NE(rc, 0) << out;
}

TEST_F(RuntimeSecurity, ANonRootUserHasNoEffectiveCapabilities) {
  std::string id = run_detached("-u app", "sleep 300");
  ASSERT_FALSE(id.empty());
  auto st = proc_status(id, "1");
  EXPECT_EQ(st["Uid"].substr(0, 4), "1000") << st["Uid"];
  EXPECT_EQ(st["CapEff"], "0000000000000000");
  EXPECT_EQ(st["CapPrm"], "0000000000000000");
  EXPECT_EQ(st["CapBnd"], kDockerDefault);
  // exec as root into it still gets the default set
  EXPECT_EQ(proc_status(id, "self", "-u root")["CapEff"], kDockerDefault);
}

TEST_F(RuntimeSecurity, CapAddAndCapDropChangeTheSet) {
  std::string id = run_detached("--cap-add NET_ADMIN --cap-drop chown", "sleep 300");
  ASSERT_FALSE(id.empty());
  // + NET_ADMIN (bit 12), - CHOWN (bit 0)
  EXPECT_EQ(proc_status(id, "1")["CapEff"], "00000000a80435fa");
  int rc = 0;
  std::string out = exec(id, "sh -c " + quote("touch /tmp/f && chown 1000 /tmp/f"), &rc);
  EXPECT_NE(rc, 0) << "chown worked without CAP_CHOWN";
  out = exec(id, "ip link set lo mtu 1400", &rc);  // the container's own loopback
  EXPECT_EQ(rc, 0) << out;

  std::string plain = run_detached("", "sleep 300");
  ASSERT_FALSE(plain.empty());
  out = exec(plain, "sh -c " + quote("touch /tmp/f && chown 1000 /tmp/f"), &rc);
  EXPECT_EQ(rc, 0) << out;
  out = exec(plain, "ip link set lo mtu 1400", &rc);
  EXPECT_NE(rc, 0) << "NET_ADMIN is not in the default set";

  std::string none = run_detached("--cap-drop ALL", "sleep 300");
  ASSERT_FALSE(none.empty());
  EXPECT_EQ(proc_status(none, "1")["CapEff"], "0000000000000000");
  EXPECT_EQ(proc_status(none, "1")["CapBnd"], "0000000000000000");

  std::string all = run_detached("--cap-add ALL", "sleep 300");
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(proc_status(all, "1")["CapEff"], all_caps_mask());
}

TEST_F(RuntimeSecurity, UnknownCapabilityIsRefusedAndNothingIsMade) {
  std::string out;
  EXPECT_NE(berth("container run -d --cap-add NOT_A_CAP " + image() + " true", &out), 0);
  EXPECT_NE(out.find("unknown capability"), std::string::npos) << out;
  EXPECT_TRUE(all_ids().empty());
}

TEST_F(RuntimeSecurity, SeccompRefusesUnshareUnlessUnconfined) {
  std::string id = run_detached("", "sleep 300");
  ASSERT_FALSE(id.empty());
  // A new user namespace needs no capability: only the seccomp profile refuses it.
  int rc = 0;
  std::string out = exec(id, "unshare -U true", &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("Operation not permitted"), std::string::npos) << out;

  std::string free = run_detached("--security-opt seccomp=unconfined", "sleep 300");
  ASSERT_FALSE(free.empty());
  EXPECT_EQ(proc_status(free, "1")["Seccomp"], "0");
  EXPECT_EQ(proc_status(free, "1")["CapEff"], kDockerDefault);  // unconfined is about seccomp only
  std::string host;
  if (run_command("unshare -U true", &host) == 0) {  // the host allows user namespaces
    out = exec(free, "unshare -U true", &rc);
    EXPECT_EQ(rc, 0) << out;
  }
}

TEST_F(RuntimeSecurity, PrivilegedHasEveryCapabilityNoSeccompAndWritableSys) {
  std::string id = run_detached("--privileged", "sleep 300");
  ASSERT_FALSE(id.empty());
  auto st = proc_status(id, "1");
  EXPECT_EQ(st["CapEff"], all_caps_mask());
  EXPECT_EQ(st["Seccomp"], "0");
  std::string info = exec(id, "cat /proc/self/mountinfo");
  bool sys_rw = false;
  for (const auto& l : lines_of(info))
    if (l.find(" /sys rw,") != std::string::npos) sys_rw = true;
  EXPECT_TRUE(sys_rw) << info;
}

TEST_F(RuntimeSecurity, NoNewPrivilegesOnRequest) {
  std::string id = run_detached("--security-opt no-new-privileges", "sleep 300");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(proc_status(id, "1")["NoNewPrivs"], "1");
  EXPECT_EQ(proc_status(id, "self")["NoNewPrivs"], "1") << "exec'd processes must get it too";
  EXPECT_EQ(proc_status(id, "1")["Seccomp"], "2");
  std::string other = run_detached("--security-opt no-new-privileges:false", "sleep 300");
  ASSERT_FALSE(other.empty());
  EXPECT_EQ(proc_status(other, "1")["NoNewPrivs"], "0");

  std::string out;
  EXPECT_NE(berth("container run -d --security-opt apparmor=weird " + image() + " true", &out), 0);
  EXPECT_NE(out.find("--security-opt"), std::string::npos) << out;
  std::set<std::string> expected = {id.substr(0, 12), other.substr(0, 12)};
  auto ids = all_ids();
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), expected);
}

}  // namespace
}  // namespace berth::test
