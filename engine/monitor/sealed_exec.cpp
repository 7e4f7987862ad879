#include "engine/monitor/sealed_exec.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace berth::monitor {
namespace {

int max_fd() {
  struct rlimit rl;
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 20)) return 1 << 20;
  return static_cast<int>(rl.rlim_cur);
}

}  // namespace

void close_fds_from(int first) {
  if (::syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, 0U) == 0) return;
  for (int fd = first, end = max_fd(); fd < end; ++fd) ::close(fd);
}

void cloexec_fds_from(int first) {
  if (::syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  for (int fd = first, end = max_fd(); fd < end; ++fd) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
}

int exec_sealed(const char* path, char* const argv[], char* const envp[]) {
  // Private first, or the bind would propagate back into the host's mount namespace.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return -1;
  if (::mount(path, path, nullptr, MS_BIND, nullptr) != 0) return -1;
  if (::mount(nullptr, path, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) return -1;
  ::execve(path, argv, envp);
  return -1;
}

}  // namespace berth::monitor
