// The init of `init: true` containers (Docker's docker-init / tini role): runs as PID 1, starts
// the command, forwards every signal to it, reaps every orphan, exits with the command's status.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/monitor/supervisor.hpp"

extern char** environ;

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
  // posix_spawn (vfork-style): no copy of this process's page tables to build and tear down
  // again at the command's exec.
  posix_spawnattr_t attr;
  ::posix_spawnattr_init(&attr);
  sigset_t none;
  ::sigemptyset(&none);
  ::posix_spawnattr_setsigmask(&attr, &none);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t child = -1;
  int err = ::posix_spawn(&child, argv[first], nullptr, &attr, argv + first, environ);
  ::posix_spawnattr_destroy(&attr);
  if (err != 0) {
    std::fprintf(stderr, "berth-init: exec %s: %s\n", argv[first], std::strerror(err));
    return err == ENOENT ? 127 : 126;
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
