// runc CVE-2019-5736: a process inside a container whose /proc/self/exe is berth's own binary
// (the init, the exec helper, a health probe) must not let the container open that binary for
// writing. berth runs them from a read-only bind mount and keeps them non-dumpable until the
// command's execve (engine/monitor/sealed_exec.hpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "tests/integration/security/security_fixture.hpp"

namespace berth::test {
namespace {
namespace fs = std::filesystem;

// The exe of a host process is on a read-only mount (what makes writing it fail with EROFS).
testing::AssertionResult exe_on_readonly_mount(int pid) {
  std::string link = "/proc/" + std::to_string(pid) + "/exe";
  int fd = ::open(link.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) return testing::AssertionFailure() << "open " << link << ": " << std::strerror(errno);
  struct statvfs st {};
  int rc = ::fstatvfs(fd, &st);
  ::close(fd);
  if (rc != 0) return testing::AssertionFailure() << "fstatvfs " << link << ": " << std::strerror(errno);
  if (!(st.f_flag & ST_RDONLY)) return testing::AssertionFailure() << link << " is on a writable mount";
  return testing::AssertionSuccess();
}

// Host pids of berth-init processes running "__init exec".
std::vector<int> exec_helpers() {
  std::vector<int> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(std::string("__init\0exec\0", 12)) != std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

class SealedBinary : public SecurityTest {};

TEST_F(SealedBinary, InitReaperRunsFromReadOnlyMountAndCannotBeOpened) {
  std::string id = run_probe("--init", "sleep 300");
  ASSERT_FALSE(id.empty());
  int pid = inspect(id)["State"].value("Pid", 0);
  ASSERT_GT(pid, 0);
  // It is berth-init (the link reads "/": the file is the root of its own, detached, bind mount).
  struct stat exe {}, init {};
  ASSERT_EQ(::stat(("/proc/" + std::to_string(pid) + "/exe").c_str(), &exe), 0);
  ASSERT_EQ(::stat((std::string(BERTH_BINARY_DIR) + "/berth-init").c_str(), &init), 0);
  EXPECT_EQ(exe.st_ino, init.st_ino);
  EXPECT_TRUE(exe_on_readonly_mount(pid));
  // From inside, PID 1 is that reaper: neither a write open nor the O_PATH-then-reopen of the CVE.
  EXPECT_NE(exec(id, "/probe open-write /proc/1/exe"), "ok\n");
  EXPECT_NE(exec(id, "/probe reopen-write /proc/1/exe"), "ok\n");
  EXPECT_NE(exec(id, "/probe open-read /proc/1/environ"), "ok\n");  // non-dumpable
}

TEST_F(SealedBinary, ExecHelperRunsFromReadOnlyMount) {
  std::string id = run_probe("", "sleep 300");
  ASSERT_FALSE(id.empty());
  std::string out;
  std::thread t([&] { exec(id, "sleep 5"); });
  struct Join {  // also when an assertion below returns early
    std::thread& t;
    ~Join() { t.join(); }
  } join{t};
  std::vector<int> helpers;
  // Generous: with other tests running beside it an exec can take seconds to start.
  poll_until([&] { return !(helpers = exec_helpers()).empty(); }, std::chrono::seconds(10));
  ASSERT_FALSE(helpers.empty());
  for (int pid : helpers) EXPECT_TRUE(exe_on_readonly_mount(pid)) << pid;
}

TEST_F(SealedBinary, ScriptThatReexecutesProcSelfExeCannotWriteBerth) {
  // The CVE's exploit: the command berth execs is "#!/proc/self/exe", so the kernel runs berth's
  // own binary inside the container, where another process grabs its /proc/PID/exe and writes
  // through it (at once, or once the binary is no longer busy).
  std::string exe = fs::canonical(std::string(BERTH_BINARY_DIR) + "/berth-init").string();
  struct stat st {};
  ASSERT_EQ(::stat(exe.c_str(), &st), 0);
  auto mtime = fs::last_write_time(exe);
  auto size = fs::file_size(exe);
  std::string id = run_probe("", "/probe race-exe " + std::to_string(st.st_ino) + " 4");
  ASSERT_FALSE(id.empty());
  exec(id, "sh -c " + quote("printf '#!/proc/self/exe\\n' >/tmp/evil && chmod +x /tmp/evil"));
  int started = 0;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < end) {
    int rc = 0;
    exec(id, "/tmp/evil", &rc);
    EXPECT_NE(rc, 0);  // berth-init, started as "/proc/self/exe /tmp/evil", refuses and exits
    ++started;
  }
  ASSERT_TRUE(wait_exited(id));
  std::string logs;
  berth("container logs " + id, &logs);
  // The probe did get hold of berth-init processes (the attack ran), and could write none of them:
  // EROFS once they had exited (while they run, ETXTBSY would hide the difference).
  EXPECT_EQ(logs.find("captured=0 "), std::string::npos) << logs;
  EXPECT_NE(logs.find("writable=0 last=EROFS"), std::string::npos) << logs;
  RecordProperty("race", logs + " after " + std::to_string(started) + " execs");
  std::cout << "race: " << logs;
  EXPECT_EQ(fs::last_write_time(exe), mtime);
  EXPECT_EQ(fs::file_size(exe), size);
}

}  // namespace
}  // namespace berth::test
