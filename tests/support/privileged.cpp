#include "tests/support/privileged.hpp"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace berth::test {

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && (std::strcmp(ci, "true") == 0 || std::strcmp(ci, "1") == 0);
}

std::string privilege_problem() {
  static const std::string problem = [] () -> std::string {
    if (::geteuid() != 0) return "not running as root";
    // Probe in a child so the test process keeps its namespaces.
    pid_t pid = ::fork();
    if (pid == 0) _exit(::unshare(CLONE_NEWNS | CLONE_NEWNET) == 0 ? 0 : 1);
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return "cannot create mount and network namespaces";
    return {};
  }();
  return problem;
}

}  // namespace berth::test
