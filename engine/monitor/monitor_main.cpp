// berth-monitor: one per running container (the conmon / containerd-shim role), kept tiny: a
// static binary without iostream, JSON or logging libraries (target <= 0.4 MiB PSS).
//   berth-monitor                       ctl socket on fd 3 (configuration first); double-forks and
//                                       detaches
//   berth-monitor reap -- cmd args...   PID 1 of `init: true` containers
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "engine/monitor/supervisor.hpp"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "reap") == 0) return berth::monitor::reaper_main(argc, argv);
  if (argc != 1) return 2;
  // Detach: the runtime reaps this first process; the grandchild is re-parented to the host's
  // init (or a subreaper) and survives the CLI.
  pid_t pid = ::fork();
  if (pid < 0) return 1;
  if (pid > 0) ::_exit(0);
  ::setsid();
  return berth::monitor::run_monitor(3);
}
