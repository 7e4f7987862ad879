#include "engine/runtime/reaper_loop.hpp"

#include <signal.h>
#include <sys/wait.h>

namespace berth::engine {

int reap_until_exit(pid_t child) {
  sigset_t all;
  ::sigfillset(&all);
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

}  // namespace berth::engine
