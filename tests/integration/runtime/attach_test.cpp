// A foreground run attached to the caller's terminal (`run -it`): input typed reaches the
// container's shell, its output comes back, the window size is the terminal's, the exit code is
// the command's; without a tty, `run -i` relays stdin up to its end.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "tests/support/runtime_fixture.hpp"
#include "tests/support/test_image.hpp"

namespace berth::test {
namespace {

// `berth --root ROOT <args...>` on a new pseudo-terminal: its controlling terminal and stdio.
class Terminal {
 public:
  Terminal(const std::vector<std::string>& argv_s, unsigned rows, unsigned cols) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return;
    resize(rows, cols);
    std::string slave_name = ::ptsname(master_);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      int slave = ::open(slave_name.c_str(), O_RDWR);  // becomes the controlling terminal
      if (slave < 0) ::_exit(120);
      for (int fd = 0; fd < 3; ++fd) ::dup2(slave, fd);
      std::vector<char*> argv;
      for (auto a : argv_s) argv.push_back(::strdup(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(121);
    }
  }
  ~Terminal() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  bool ok() const { return master_ >= 0 && pid_ > 0; }
  void type(const std::string& text) { ASSERT_EQ(::write(master_, text.data(), text.size()), static_cast<ssize_t>(text.size())); }
  void resize(unsigned rows, unsigned cols) {  // the kernel sends SIGWINCH to the foreground group
    struct winsize ws = {};
    ws.ws_row = static_cast<unsigned short>(rows);
    ws.ws_col = static_cast<unsigned short>(cols);
    ::ioctl(master_, TIOCSWINSZ, &ws);
  }
  // Reads what the terminal shows until `text` appeared after `from` (true) or 20 s passed.
  bool expect(const std::string& text, size_t from = 0) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (shown_.find(text, from) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline || !read_some(100)) return false;
    }
    return true;
  }
  // Waits for berth to exit (reading what it still shows); its exit status, -2 on timeout.
  int finish() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      read_some(100);
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        while (read_some(0)) {
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    return -2;
  }
  const std::string& shown() const { return shown_; }

 private:
  bool read_some(int timeout_ms) {  // false at EOF/EIO (no slave left) or timeout without data
    struct pollfd p = {master_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return timeout_ms > 0;
    char buf[4096];
    ssize_t n = ::read(master_, buf, sizeof buf);
    if (n <= 0) return false;
    shown_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int master_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string shown_;
};

class RuntimeAttach : public RuntimeTest {
 protected:
  std::vector<std::string> cmd(std::vector<std::string> args) {
    args.insert(args.begin(), {berth_exe(), "--root", root().string()});
    return args;
  }
};

TEST_F(RuntimeAttach, RunItGivesTheShellThisTerminal) {
  Terminal t(cmd({"container", "run", "-it", "--rm", image(), "sh"}), 37, 101);
  ASSERT_TRUE(t.ok());
  t.type("stty size; echo hello-$((6*7)); [ -t 0 ] && [ -t 1 ] && echo on-a-tty-$((1+1))\n");
  EXPECT_TRUE(t.expect("hello-42")) << t.shown();  // the shell ran what was typed (the echo shows $((6*7)))
  EXPECT_TRUE(t.expect("37 101")) << t.shown();    // with this terminal's size
  EXPECT_TRUE(t.expect("on-a-tty-2")) << t.shown();  // stdin and stdout are a terminal
  // The window changes: the container's terminal follows (SIGWINCH -> the monitor -> TIOCSWINSZ).
  size_t mark = t.shown().size();
  t.resize(50, 132);
  t.type("stty size\n");
  EXPECT_TRUE(t.expect("50 132", mark)) << t.shown();
  t.type("exit 3\n");
  EXPECT_EQ(t.finish(), 3) << t.shown();  // the shell's exit code is berth's
  EXPECT_TRUE(all_ids().empty()) << "--rm left the container";
}

TEST_F(RuntimeAttach, RunIRelaysStdinToItsEnd) {
  char path[] = "/tmp/berth-attach-in-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string text = "one\ntwo\nthree\n";
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
  std::string out;
  int rc = berth("container run -i --rm " + image() + " sh -c " + quote("wc -l; exit 5") + " < " + path, &out);
  ::unlink(path);
  EXPECT_EQ(rc, 5) << out;
  EXPECT_EQ(out.substr(out.find_first_not_of(' ')), "3\n") << out;  // the container saw the end of stdin
  EXPECT_TRUE(all_ids().empty()) << "--rm left the container";
}

// A container that exits before the CLI has attached: its monitor may be on its way out when the
// CLI connects (the connection queued, never served). Its output then comes from the log, once:
// four runs at a time, many times over, each shows exactly its own line.
TEST_F(RuntimeAttach, OutputOfARunThatEndsBeforeTheAttachIsShownOnce) {
  char dir[] = "/tmp/berth-attach-out-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string run = berth_exe() + " --root " + quote(root().string()) + " container run -i --rm " + image() + " echo ";
  std::string script;
  for (int i = 0; i < 4; ++i) script += run + std::to_string(i) + " </dev/null >" + dir + "/" + std::to_string(i) + " 2>&1 & ";
  script += "wait";
  std::string bad;
  for (int round = 0; round < 25 && bad.empty(); ++round) {
    run_command("sh -c " + quote(script));
    for (int i = 0; i < 4; ++i) {
      std::string shown = read_text(std::string(dir) + "/" + std::to_string(i));
      if (shown != std::to_string(i) + "\n") bad += "round " + std::to_string(round) + ": [" + shown + "] ";
    }
  }
  std::filesystem::remove_all(dir);
  EXPECT_EQ(bad, "");
  EXPECT_TRUE(all_ids().empty()) << "--rm left a container";
}

}  // namespace
}  // namespace berth::test
