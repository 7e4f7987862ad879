// berth-monitor: one per running container (the conmon / containerd-shim role), kept tiny: a
// static binary without iostream, JSON or logging libraries (target <= 0.4 MiB PSS).
//   berth-monitor [CGROUP_PROCS...]   ctl socket on fd 3 (configuration first); joins the cgroups
//                                     (base/daemon_cgroup.hpp, best effort), then detaches
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>

#include "engine/monitor/supervisor.hpp"

namespace {

int detached_main(void*) {
  ::setsid();
  return berth::monitor::run_monitor(3);
}

}  // namespace

int main(int argc, char** argv) {
  // Out of the caller's cgroup before the detached child exists, so that it starts there.
  for (int i = 1; i < argc; ++i) {
    int fd = ::open(argv[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0) continue;
    [[maybe_unused]] auto n = ::write(fd, "0", 1);
    ::close(fd);
  }
  // Detach: the runtime reaps this first process; the child is re-parented to the host's init
  // (or a subreaper) and survives the CLI. The child shares this process's memory (CLONE_VM)
  // instead of copying it as fork() would: no page tables to copy, no copy-on-write faults, and
  // nothing to tear down when this process exits a moment later. It runs on a stack of its own.
  constexpr std::size_t kStack = 1 << 20;  // reserved, not committed: only touched pages count
  void* stack = ::mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
  if (stack == MAP_FAILED) return 1;
  if (::clone(detached_main, static_cast<char*>(stack) + kStack, CLONE_VM | SIGCHLD, nullptr) < 0) return 1;
  // Leave without touching the shared memory: no exit handlers, no stdio flush, and no clearing
  // of this thread's id in the (shared) thread control block by the kernel.
  ::syscall(SYS_set_tid_address, nullptr);
  ::syscall(SYS_exit_group, 0);
  return 0;
}
