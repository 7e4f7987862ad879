// /proc and /sys: the kernel's knobs that would reach the host (sysrq, core_pattern, the uevent
// helper, kcore) stay out of a default container's reach, and a mount target that is a symlink
// pointing outside the container lands inside it.
#include <filesystem>
#include <fstream>

#include "tests/integration/security/security_fixture.hpp"

namespace berth::test {
namespace {
namespace fs = std::filesystem;

class KernelInterfaces : public SecurityTest {};

TEST_F(KernelInterfaces, HostKnobsCannotBeWritten) {
  std::string core_pattern = read_text("/proc/sys/kernel/core_pattern");
  std::string id = run_probe("", "sleep 300");
  ASSERT_FALSE(id.empty());
  for (const char* path : {"/proc/sysrq-trigger", "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
                           "/proc/sys/vm/drop_caches", "/sys/kernel/uevent_helper", "/sys/power/state",
                           "/proc/sys/net/ipv4/ip_forward", "/sys/fs/cgroup/cgroup.procs"})
    EXPECT_NE(exec(id, std::string("/probe open-write ") + path), "ok\n") << path;
  for (const char* path : {"/proc/kcore", "/proc/kmsg", "/sys/firmware/efi/efivars", "/proc/keys"})
    EXPECT_NE(exec(id, std::string("/probe open-read ") + path), "ok\n") << path;
  // Even an attempt through the shell leaves the host's value alone.
  exec(id, "sh -c 'echo \"|/tmp/evil\" > /proc/sys/kernel/core_pattern'");
  EXPECT_EQ(read_text("/proc/sys/kernel/core_pattern"), core_pattern);
}

TEST_F(KernelInterfaces, SymlinkMountTargetStaysInsideTheContainer) {
  fs::path dir = root().parent_path() / "symlink-project";
  fs::path outside = root().parent_path() / "outside";  // a host directory the link points at
  fs::create_directories(dir / "data");
  fs::create_directories(outside);
  // In the bind-mounted directory: link -> the host path, as an absolute path and with "..".
  fs::create_symlink(outside, dir / "data" / "abs");
  fs::create_symlink("../../../../../../../.." + outside.string(), dir / "data" / "rel");
  std::ofstream(dir / "compose.yaml") << "services:\n  app:\n    image: " << kProbeImage
                                      << "\n    command: sleep 300\n    network_mode: none\n    stop_signal: SIGKILL\n"
                                         "    volumes:\n      - ./data:/data\n"
                                         "    tmpfs:\n      - /data/abs/x\n      - /data/rel/y\n";
  std::string out, project = "-p secsym --project-directory " + quote(dir.string()) + " ";
  ASSERT_EQ(berth(project + "up -d", &out), 0) << out;
  // The mounts were made, inside the container's own tree.
  std::string mounts;
  EXPECT_EQ(berth(project + "exec -T app cat /proc/mounts", &mounts), 0) << mounts;
  EXPECT_NE(mounts.find(outside.string() + "/x tmpfs"), std::string::npos) << mounts;
  EXPECT_NE(mounts.find(outside.string() + "/y tmpfs"), std::string::npos) << mounts;
  // Nothing of them on the host: no mount point created, nothing mounted there.
  EXPECT_TRUE(fs::is_empty(outside));
  EXPECT_EQ(read_text("/proc/self/mountinfo").find(outside.string()), std::string::npos);
  EXPECT_EQ(berth(project + "down", &out), 0) << out;
  fs::remove_all(dir);
  fs::remove_all(outside);
}

}  // namespace
}  // namespace berth::test
