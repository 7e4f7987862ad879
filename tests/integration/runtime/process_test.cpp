// The container process and what it sees: PID 1, its own process list, hostname, the root
// filesystem, /proc masks, read-only /sys, and /dev.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tests/support/runtime_fixture.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class RuntimeProcess : public RuntimeTest {};

// The mount entry whose mount point is `target` in a container's /proc/self/mountinfo ("" if none).
std::string mount_line(const std::string& mountinfo, const std::string& target) {
  std::string found;
  for (const auto& l : lines_of(mountinfo)) {
    std::istringstream in(l);
    std::string id, parent, dev, root, point;
    in >> id >> parent >> dev >> root >> point;
    if (point == target) found = l;  // the last one is on top
  }
  return found;
}

bool has_option(const std::string& line, const std::string& option) {
  // "36 35 0:31 / /sys ro,nosuid,... - sysfs sysfs ro": mount options are the 6th field.
  std::istringstream in(line);
  std::string field;
  for (int i = 0; i < 6 && in >> field; ++i) {
  }
  std::string padded = "," + field + ",";
  return padded.find("," + option + ",") != std::string::npos;
}

TEST_F(RuntimeProcess, CommandIsPid1AndSeesOnlyItsOwnProcesses) {
  std::string id = run_detached("", "sleep 300");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(exec(id, "cat /proc/1/cmdline"), std::string("sleep\0" "300\0", 10));
  // Inside: PID 1 and the exec'd ls, nothing of the host.
  auto procs = lines_of(exec(id, "sh -c " + quote("cd /proc && for p in [0-9]*; do echo $p $(tr '\\0' ' ' < $p/cmdline); done")));
  ASSERT_GE(procs.size(), 2u);
  EXPECT_EQ(procs[0], "1 sleep 300");
  EXPECT_LE(procs.size(), 3u) << "unexpected processes visible:\n" << exec(id, "ps");
  for (const auto& p : procs) EXPECT_TRUE(p.rfind("1 ", 0) == 0 || p.find("sh -c") != std::string::npos) << p;

  // The host pid inspect reports is that process, in namespaces of its own.
  int pid = inspect(id)["State"].value("Pid", 0);
  ASSERT_GT(pid, 1);
  EXPECT_EQ(read_text("/proc/" + std::to_string(pid) + "/cmdline"), std::string("sleep\0" "300\0", 10));
  for (const char* ns : {"pid", "mnt", "uts", "ipc", "net", "cgroup"}) {
    auto theirs = fs::read_symlink("/proc/" + std::to_string(pid) + "/ns/" + ns);
    auto ours = fs::read_symlink(std::string("/proc/self/ns/") + ns);
    EXPECT_NE(theirs, ours) << ns << " namespace shared with the host";
  }
}

TEST_F(RuntimeProcess, ForegroundRunPrintsOutputReturnsTheExitCodeAndRmRemoves) {
  std::string out;
  EXPECT_EQ(berth("container run --rm " + image() + " sh -c " + quote("echo pid=$$; exit 7"), &out), 7) << out;
  EXPECT_EQ(out, "pid=1\n");
  EXPECT_TRUE(all_ids().empty()) << "--rm left the container";
}

TEST_F(RuntimeProcess, HostnameIsTheShortIdOrTheGivenName) {
  char host_before[256] = {};
  ::gethostname(host_before, sizeof host_before);
  std::string id = run_detached("", "sleep 300");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(exec(id, "hostname"), id.substr(0, 12) + "\n");

  std::string named = run_detached("--hostname web-1", "sleep 300");
  ASSERT_FALSE(named.empty());
  EXPECT_EQ(exec(named, "hostname"), "web-1\n");
  EXPECT_EQ(exec(named, "cat /etc/hostname"), "web-1\n");
  EXPECT_EQ(exec(named, "sh -c " + quote("echo $HOSTNAME")), "web-1\n");
  EXPECT_NE(exec(named, "cat /etc/hosts").find("web-1"), std::string::npos);
  // A hostname change inside stays inside (own UTS namespace; CAP_SYS_ADMIN is not granted anyway).
  int rc = 0;
  exec(named, "hostname changed", &rc);
  EXPECT_NE(rc, 0);
  char host_after[256] = {};
  ::gethostname(host_after, sizeof host_after);
  EXPECT_STREQ(host_before, host_after);
}

TEST_F(RuntimeProcess, RootIsAWritableOverlayUnlessReadOnly) {
  std::string id = run_detached("", "sleep 300");
  ASSERT_FALSE(id.empty());
  std::string info = exec(id, "cat /proc/self/mountinfo");
  EXPECT_NE(mount_line(info, "/").find(" - overlay "), std::string::npos) << info;
  int rc = 0;
  exec(id, "touch /new-file", &rc);
  EXPECT_EQ(rc, 0);
  // The write went to the container's upper dir, not into the image.
  auto full = inspect(id).value("Id", "");
  EXPECT_TRUE(fs::exists(root() / "containers" / full / "upper" / "new-file"));

  std::string ro = run_detached("--read-only", "sleep 300");
  ASSERT_FALSE(ro.empty());
  std::string out = exec(ro, "touch /new-file", &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("Read-only file system"), std::string::npos) << out;
  exec(ro, "sh -c " + quote("echo x > /dev/shm/x"), &rc);
  EXPECT_EQ(rc, 0) << "/dev/shm must stay writable";
}

// Bind mounts get their flags through mount_setattr() (Linux 5.12), before it (Debian 11's 5.10)
// through a bind remount: either way ":ro" is read-only and the rest stays writable. (Binds come
// from a project's volumes: `container run` has no -v.)
TEST_F(RuntimeProcess, ReadOnlyBindMountIsReadOnlyAndRwOneWritable) {
  fs::path dir = root().parent_path() / "bind-project";
  fs::create_directories(dir / "data");
  { std::ofstream(dir / "data" / "f") << "hi"; }
  std::ofstream(dir / "compose.yaml") << "services:\n  s:\n    image: " << image()
                                      << "\n    network_mode: none\n    volumes: [\"./data:/ro:ro\", \"./data:/rw\"]\n";
  std::string out;
  int rc = berth("--project-directory " + quote(dir.string()) + " -p bindro run --rm -T s sh -c " +
                     quote("cat /ro/f; echo; touch /ro/new; touch /rw/new && touch /root-file && echo writable"),
                 &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("hi\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Read-only file system"), std::string::npos) << out;
  EXPECT_NE(out.find("writable"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(dir / "data" / "new"));
  EXPECT_FALSE(fs::exists(dir / "data" / "root-file"));
  berth("--project-directory " + quote(dir.string()) + " -p bindro down", &out);
  fs::remove_all(dir);
}

TEST_F(RuntimeProcess, ProcPathsAreMaskedOrReadOnlyAndSysIsReadOnly) {
  std::string id = run_detached("", "sleep 300");
  ASSERT_FALSE(id.empty());
  std::string info = exec(id, "cat /proc/self/mountinfo");
  int masked = 0;
  for (const char* file : {"/proc/kcore", "/proc/timer_list", "/proc/keys", "/proc/sched_debug"}) {
    if (!fs::exists(file)) continue;  // not on this kernel: nothing to hide
    ++masked;
    EXPECT_NE(mount_line(info, file), "") << file << " is not masked";
    EXPECT_EQ(exec(id, "sh -c " + quote(std::string("wc -c < ") + file)), "0\n") << file;
  }
  EXPECT_GT(masked, 0) << "none of the masked files exists on this host: the test checks nothing";
  for (const char* dir : {"/proc/acpi", "/proc/scsi", "/sys/firmware"}) {
    if (!fs::exists(dir)) continue;
    EXPECT_EQ(exec(id, std::string("ls -A ") + dir), "") << dir << " is not masked";
  }
  for (const char* p : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/sys"}) {
    if (!fs::exists(p)) continue;
    std::string line = mount_line(info, p);
    EXPECT_TRUE(has_option(line, "ro")) << p << ": " << line;
  }
  // Writes are refused (kernel.hostname is per UTS namespace: harmless even if it went through).
  int rc = 0;
  std::string out = exec(id, "sh -c " + quote("echo changed > /proc/sys/kernel/hostname"), &rc);
  EXPECT_NE(rc, 0) << out;
  EXPECT_EQ(exec(id, "hostname"), id.substr(0, 12) + "\n");
  out = exec(id, "mkdir /sys/x", &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("Read-only file system"), std::string::npos) << out;
}

TEST_F(RuntimeProcess, DevHasTheStandardNodesAndNothingOfTheHost) {
  std::string id = run_detached("", "sleep 300");
  ASSERT_FALSE(id.empty());
  auto nodes = lines_of(exec(id, "sh -c " + quote("for n in null zero full random urandom tty; do stat -c '%n %F %t:%T %a' /dev/$n; done")));
  EXPECT_EQ(nodes, (std::vector<std::string>{"/dev/null character special file 1:3 666",
                                             "/dev/zero character special file 1:5 666",
                                             "/dev/full character special file 1:7 666",
                                             "/dev/random character special file 1:8 666",
                                             "/dev/urandom character special file 1:9 666",
                                             "/dev/tty character special file 5:0 666"}));
  auto entries = lines_of(exec(id, "ls -A /dev"));
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, (std::vector<std::string>{"core", "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm",
                                               "stderr", "stdin", "stdout", "tty", "urandom", "zero"}));
  EXPECT_EQ(exec(id, "readlink /dev/ptmx"), "pts/ptmx\n");
  std::string info = exec(id, "cat /proc/self/mountinfo");
  EXPECT_NE(mount_line(info, "/dev").find(" - tmpfs "), std::string::npos) << info;
  EXPECT_NE(mount_line(info, "/dev/pts").find(" - devpts "), std::string::npos) << info;
  EXPECT_NE(mount_line(info, "/dev/shm").find(" - tmpfs "), std::string::npos) << info;
  EXPECT_NE(mount_line(info, "/dev/mqueue").find(" - mqueue "), std::string::npos) << info;
  EXPECT_EQ(exec(id, "sh -c " + quote("head -c 4 /dev/zero | od -An -tx1")), " 00 00 00 00\n");
  int rc = 0;
  std::string out = exec(id, "sh -c " + quote("echo x > /dev/full"), &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("No space left on device"), std::string::npos) << out;
  // The host's disks and memory are not there.
  EXPECT_FALSE(exec(id, "ls /dev/sda /dev/vda /dev/mem", &rc).empty());
  EXPECT_NE(rc, 0);
}

}  // namespace
}  // namespace berth::test
