#include "base/netns.hpp"

#include <fcntl.h>
#include <sched.h>

#include <cstdlib>

#include "base/error.hpp"

namespace berth {

UniqueFd open_netns(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open netns", path.string());
  return fd;
}

ScopedNetns::ScopedNetns(int ns_fd) : home_(open_netns("/proc/thread-self/ns/net")) {
  if (::setns(ns_fd, CLONE_NEWNET) != 0) throw_errno("setns", "network namespace");
}

ScopedNetns::~ScopedNetns() {
  if (::setns(home_.get(), CLONE_NEWNET) != 0) std::abort();
}

}  // namespace berth
