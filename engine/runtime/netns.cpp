#include "engine/runtime/netns.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "base/error.hpp"
#include "base/unique_fd.hpp"

namespace berth::engine {
namespace fs = std::filesystem;
namespace {

void loopback_up() {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) throw_errno("socket", "loopback");
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) throw_errno("ioctl(SIOCGIFFLAGS)", "lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) throw_errno("ioctl(SIOCSIFFLAGS)", "lo");
}

}  // namespace

void create_netns(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) throw_sys(ec.value(), "mkdir", path.parent_path().string());
  {
    UniqueFd f(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
    if (!f) throw_errno("create", path.string());
  }
  // A namespace belongs to a thread: this one enters a new namespace, pins it with the bind mount
  // and returns to its own at once (no thread started per container), so the caller's other
  // threads (Asio, logging) never change namespace, nor does this one for longer than that.
  UniqueFd own(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!own) throw_errno("open", "/proc/thread-self/ns/net");
  std::exception_ptr failure;
  try {
    if (::unshare(CLONE_NEWNET) != 0) throw_errno("unshare", "network namespace");
    loopback_up();
    if (::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0)
      throw_errno("mount netns", path.string());
  } catch (...) {
    failure = std::current_exception();
  }
  // Cannot fail for a process that could unshare; if it did, this thread must not go on.
  if (::setns(own.get(), CLONE_NEWNET) != 0) {
    std::perror("berth: setns back to the host network namespace");
    std::abort();
  }
  if (failure) {
    ::umount2(path.c_str(), MNT_DETACH);
    ::unlink(path.c_str());
    std::rethrow_exception(failure);
  }
}

void remove_netns(const fs::path& path) {
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    throw_errno("umount", path.string());
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("unlink", path.string());
}

}  // namespace berth::engine
