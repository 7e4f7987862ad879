#include "cli/test_reaper.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace berth::cli {

TestReaper::TestReaper(const std::string& root_flag, const std::string& project, const std::string& scratch) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) throw_errno("pipe2");
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) {
    ::close(p[0]);
    ::close(p[1]);
    throw_errno("open", "/dev/null");
  }
  // Everything the child needs is made before fork: this process may have threads, so only
  // async-signal-safe calls between fork and exec.
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    if (::chdir("/") < 0) ::_exit(1);  // holds no directory busy
    // The owner is waiting for this child, so it is alive and its pid is its own.
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, ::getppid(), 0));
    if (pidfd < 0) ::_exit(1);
    // Fixed descriptor numbers for the exec'd reaper: 3 the pidfd, 4 the pipe.
    if (::dup2(pidfd, 100) < 0 || ::dup2(p[0], 101) < 0) ::_exit(1);
    if (::dup2(100, 3) < 0 || ::dup2(101, 4) < 0) ::_exit(1);  // dup2 clears close-on-exec
    if (::fork() != 0) ::_exit(0);  // the grandchild is adopted by init (or a subreaper)
    for (int fd = 0; fd < 3; ++fd) ::dup2(devnull, fd);
    const char* argv[] = {"berth", "__test-reaper", root_flag.c_str(), project.c_str(), scratch.c_str(), nullptr};
    ::execv("/proc/self/exe", const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(devnull);
  ::close(p[0]);
  if (pid < 0) {
    ::close(p[1]);
    throw_errno("fork");
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ::close(p[1]);
    throw SysError(ECHILD, "start the reaper of project", project);
  }
  write_fd_ = p[1];
}

TestReaper::~TestReaper() {
  if (write_fd_ >= 0) ::close(write_fd_);  // without release(): the reaper takes the project down
}

void TestReaper::release() {
  if (write_fd_ < 0) return;
  char done = 'd';
  while (::write(write_fd_, &done, 1) < 0 && errno == EINTR) {
  }
  ::close(write_fd_);
  write_fd_ = -1;
}

int test_reaper_main(int argc, char** argv) {
  if (argc != 5) return 2;
  const int pidfd = 3, pipe_fd = 4;
  for (int fd = 5; fd < 1024; ++fd) ::close(fd);  // 100 and 101, and anything else inherited
  // Waits for the owner to say it is done, or to go: a byte first is "done"; end of file or the
  // owner's exit without one means it died before taking the project down.
  pollfd fds[2] = {{pipe_fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
  while (::poll(fds, 2, -1) < 0 && errno == EINTR) {
  }
  ::fcntl(pipe_fd, F_SETFL, O_NONBLOCK);
  char b;
  ssize_t n;
  while ((n = ::read(pipe_fd, &b, 1)) < 0 && errno == EINTR) {
  }
  if (n == 1) return 0;
  std::error_code ec;
  if (argv[4][0] != '\0') std::filesystem::remove_all(argv[4], ec);
  // The project as its labels describe it: the file may have changed or gone since, and the
  // containers, networks and volumes carry the project's label. "/" holds no project file, and
  // the compose variables must not name one either.
  ::unsetenv("COMPOSE_FILE");
  ::unsetenv("COMPOSE_PROJECT_NAME");
  ::unsetenv("COMPOSE_PROFILES");
  std::vector<const char*> args = {"berth"};
  if (argv[2][0] != '\0') {
    args.push_back("--root");
    args.push_back(argv[2]);
  }
  for (const char* a : {"--progress", "quiet", "--project-directory", "/", "-p"}) args.push_back(a);
  args.push_back(argv[3]);
  for (const char* a : {"down", "-v", "-t", "1"}) args.push_back(a);
  args.push_back(nullptr);
  ::close(pidfd);
  ::close(pipe_fd);
  ::execv("/proc/self/exe", const_cast<char* const*>(args.data()));
  return 127;
}

}  // namespace berth::cli
