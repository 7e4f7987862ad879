// The reaper loop of `init: true` containers (Docker's docker-init / tini role): the container's
// init stays as PID 1 (engine/runtime/process_setup.cpp spawn_and_reap), forwards every signal
// to the command, reaps every orphan, exits with the command's status.
#include <signal.h>
#include <sys/wait.h>

#include "engine/monitor/supervisor.hpp"

namespace berth::monitor {

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

}  // namespace berth::monitor
