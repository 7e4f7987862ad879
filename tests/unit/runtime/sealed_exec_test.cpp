#include "engine/monitor/sealed_exec.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace berth::monitor {
namespace {

// Runs `body` in a child process (the helpers act on the whole descriptor table); its exit
// status is the number of failed checks.
int in_child(int (*body)()) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

TEST(SealedExec, CloseFdsFromClosesEverythingAbove) {
  EXPECT_EQ(in_child([] {
              int a = ::open("/dev/null", O_RDONLY), b = ::dup2(a, 200);
              close_fds_from(a);
              int bad = 0;
              bad += ::fcntl(a, F_GETFD) != -1;
              bad += ::fcntl(b, F_GETFD) != -1;
              bad += ::fcntl(2, F_GETFD) == -1;  // below: untouched
              return bad;
            }),
            0);
}

TEST(SealedExec, CloexecFdsFromMarksEverythingAbove) {
  EXPECT_EQ(in_child([] {
              int a = ::open("/dev/null", O_RDONLY), b = ::dup2(a, 300);
              int keep = ::fcntl(2, F_GETFD);
              cloexec_fds_from(a);
              int bad = 0;
              bad += !(::fcntl(a, F_GETFD) & FD_CLOEXEC);
              bad += !(::fcntl(b, F_GETFD) & FD_CLOEXEC);
              bad += ::fcntl(2, F_GETFD) != keep;
              return bad;
            }),
            0);
}

}  // namespace
}  // namespace berth::monitor
