// The init of `init: true` containers (Docker's docker-init / tini role): runs as PID 1, starts
// the command, forwards every signal to it, reaps every orphan, exits with the command's status.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/monitor/supervisor.hpp"

namespace berth::monitor {

int reaper_main(int argc, char** argv) {
  int first = 2;
  if (first < argc && std::strcmp(argv[first], "--") == 0) ++first;
  if (first >= argc) {
    std::fprintf(stderr, "berth-init: no command\n");
    return 127;
  }
  sigset_t all;
  ::sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, nullptr);
  pid_t child = ::fork();
  if (child < 0) {
    std::perror("berth-init: fork");
    return 125;
  }
  if (child == 0) {
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[first], argv + first);
    std::fprintf(stderr, "berth-init: exec %s: %s\n", argv[first], std::strerror(errno));
    ::_exit(errno == ENOENT ? 127 : 126);
  }
  for (;;) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      ::kill(child, sig);
      continue;
    }
    int status;
    pid_t p;
    while ((p = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (p == child) {
        // Orphans still running die with the PID namespace when we return.
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
      }
    }
  }
}

}  // namespace berth::monitor
